// Transport errors of the HTTP client (no HTTP response at all): the class an
// operator acts on, and the message that may be logged.
//
// The class answers "whom do I call": dns (a name that does not resolve:
// DNS, /etc/hosts, a proxy name), connect (nothing listens, a firewall or a
// NetworkPolicy drops the SYN), tls (the certificate is not trusted, the
// client certificate is refused or cannot be loaded), timeout (the request
// outlived pipeline.request_timeout_ms), other (reset mid-transfer, a proxy
// refusing CONNECT, ...). It is a bounded metric label.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cdp_relay::delivery {

enum class TransportErrorKind : uint8_t { kDns, kConnect, kTls, kTimeout, kOther };
inline constexpr size_t kTransportErrorKindCount = 5;

// "dns", "connect", "tls", "timeout", "other".
std::string_view to_string(TransportErrorKind kind);

// The class of a failed transfer's code. CURLE_OK is not an error; it maps to
// kOther like every code not listed in transport_error.cc.
TransportErrorKind classify_transport_error(CURLcode code);

// The text to log and to put in the DLQ's error message for a failed
// transfer: curl's detailed message (`error_buffer`, e.g. "SSL certificate
// problem: unable to get local issuer certificate") or, when curl left it
// empty, the code's generic text. Whatever curl wrote, the request URL's
// query string (it carries the API key) and every one of `secrets` are
// replaced, so the result is safe for logs.
std::string transport_error_message(CURLcode code, std::string_view error_buffer,
                                    std::string_view url,
                                    const std::vector<std::string>& secrets);

}  // namespace cdp_relay::delivery
