// The class of a transport error of the HTTP client (no HTTP response at
// all), answering an operator's "whom do I call": dns (a name that does not
// resolve: DNS, /etc/hosts, a proxy name), connect (nothing listens, a
// firewall or a NetworkPolicy drops the SYN), tls (the certificate is not
// trusted, the client certificate is refused or cannot be loaded), timeout
// (the request outlived pipeline.request_timeout_ms), other (reset
// mid-transfer, a proxy refusing CONNECT, ...).
//
// A bounded metric label, so it sits with the cross-stage vocabulary: the
// metrics layer is below delivery, which classifies (delivery/transport_error.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cdp_relay {

enum class TransportErrorKind : uint8_t { kDns, kConnect, kTls, kTimeout, kOther, kCount };
inline constexpr size_t kTransportErrorKindCount = static_cast<size_t>(TransportErrorKind::kCount);

// "dns", "connect", "tls", "timeout", "other".
inline std::string_view to_string(TransportErrorKind kind) {
  switch (kind) {
    case TransportErrorKind::kDns: return "dns";
    case TransportErrorKind::kConnect: return "connect";
    case TransportErrorKind::kTls: return "tls";
    case TransportErrorKind::kTimeout: return "timeout";
    case TransportErrorKind::kOther: return "other";
    case TransportErrorKind::kCount: break;
  }
  return "other";
}

}  // namespace cdp_relay
