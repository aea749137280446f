// destinations.vidora: the Vidora Cortex destination's settings
// (README "Vidora wire format: assumptions", docs/config.md). Field names are the YAML keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/api_key_auth.h"
#include "delivery/delivery_config.h"
#include "delivery/transport_config.h"
#include "route/route_config.h"
#include "util/config_errors.h"

namespace cdp_relay::destinations::vidora {

// How `timestamp` is written in each Vidora event.
enum class TimestampFormat : uint8_t {
  kUnixSeconds,  // "unix_s": integer epoch seconds (default)
  kUnixMillis,   // "unix_ms": integer epoch milliseconds
  kIso8601,      // "iso8601": "2024-01-02T03:04:05.678Z"
};

std::string_view to_string(TimestampFormat format);
std::optional<TimestampFormat> timestamp_format_from(std::string_view name);

struct VidoraSettings {
  // Whether events are routed to Vidora at all. Default true.
  bool enabled = true;
  // Sent as the `api_key` query parameter, or in a header (`auth`). Secret:
  // never logged. Required when enabled.
  std::string api_key;
  // Where the key goes: `auth`, `auth_header`, `auth_value`. Default: query.
  delivery::AuthSettings auth;
  // Scheme and host of the API. Default https://api.vidora.com (an assumption:
  // Vidora does not publish its ingestion endpoint).
  std::string base_url = "https://api.vidora.com";
  // Request path. Default /v1/events (an assumption, see README).
  std::string path = "/v1/events";
  TimestampFormat timestamp_format = TimestampFormat::kUnixSeconds;
  delivery::BatchSettings batch;
  delivery::RetrySettings retry;
  delivery::ConcurrencySettings concurrency;
  // Token-bucket limit on requests per second; 0 means unlimited. Default 0.
  double rate_limit_per_s = 0;
  // Strips personal data (README, "Personal-data filtering"). Default true.
  bool personal_data_filtering = true;
  // The members of a Segment event's `context` forwarded to Vidora, by their
  // Segment names: `userAgent` as `user_agent`, `ip` as `ip` (only with
  // personal-data filtering off), the others flattened under `context_`.
  std::vector<std::string> segment_context = default_segment_context();

  static std::vector<std::string> default_segment_context() {
    return {"userAgent", "ip",     "page",   "campaign", "device", "os",
            "app",       "locale", "timezone", "screen", "library", "traits"};
  }
  // The fields of Segment's context spec, which segment_context may name.
  static bool is_segment_context_field(std::string_view name) {
    static constexpr std::string_view kFields[] = {
        "active",  "app",      "campaign", "channel", "device",   "groupId", "ip",
        "library", "locale",   "location", "network", "os",       "page",    "referrer",
        "screen",  "timezone", "traits",   "userAgent", "userAgentData"};
    for (std::string_view field : kFields) {
      if (field == name) return true;
    }
    return false;
  }
  // TLS trust and client certificate (`tls`, and the older `tls_verify`).
  delivery::TlsSettings tls;
  // Egress proxy URL. Default empty: HTTPS_PROXY / NO_PROXY from the environment.
  std::string proxy;
  // Include/exclude and consent rules (README "Routing"). Default: none.
  route::RoutingRules routing;

  // `at` is this section's config path (`path` is the request path above).
  void validate(const std::string& at, util::ConfigErrors& errors) const {
    if (!enabled) return;
    errors.check(!api_key.empty(), at + ".api_key", "is required when vidora is enabled");
    auth.validate(at, api_key, errors);
    errors.check(base_url.starts_with("http://") || base_url.starts_with("https://"),
                 at + ".base_url", "must start with http:// or https://");
    errors.check(path_is_absolute(), at + ".path", "must start with /");
    batch.validate(at + ".batch", errors);
    retry.validate(at + ".retry", errors);
    concurrency.validate(at + ".concurrency", errors);
    errors.check(rate_limit_per_s >= 0, at + ".rate_limit_per_s", "must be >= 0");
    tls.validate(at + ".tls", errors);
    delivery::validate_proxy(proxy, at + ".proxy", errors);
    routing.validate(at + ".routing", errors);
    for (size_t i = 0; i < segment_context.size(); ++i) {
      errors.check(is_segment_context_field(segment_context[i]),
                   at + ".segment_context[" + std::to_string(i) + "]",
                   "is not a field of Segment's context (e.g. page, campaign, device, os, app, "
                   "locale, timezone, screen, library, traits, userAgent, ip)");
    }
  }

 private:
  bool path_is_absolute() const { return !path.empty() && path.front() == '/'; }
};

}  // namespace cdp_relay::destinations::vidora
