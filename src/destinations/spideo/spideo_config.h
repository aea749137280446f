// destinations.spideo: the Spideo destination's settings (DESIGN.md §4).
// The URL template and the verb are assumptions; see README.
#pragma once

#include <map>
#include <string>

#include "delivery/delivery_config.h"
#include "delivery/transport_config.h"
#include "route/route_config.h"
#include "util/config_errors.h"

namespace cdp_relay::destinations::spideo {

struct SpideoSettings {
  bool enabled = false;
  // Sent as the `apikey` query parameter. Secret: never logged. Required when enabled.
  std::string api_key;
  // The customer's prefix in the Spideo API URL. Required when enabled.
  std::string client;
  std::string url_template =
      "https://{client}.spideo.tv/api/users/{user}/interactions/{interaction}/{content_id}";
  std::string method = "PUT";
  // Track event name -> interaction type.
  std::map<std::string, std::string> interactions = {
      {"Video Content Playing", "play"},   {"Video Content Started", "play"},
      {"Video Content Completed", "play"}, {"Video Playback Started", "play"},
      {"Product Clicked", "click"},        {"Promotion Clicked", "click"},
      {"Order Completed", "buy"},
  };
  // Optional: an identify whose trait is a boolean Engage audience
  // (snake_case name, true/false) becomes a user-property update request.
  struct Audiences {
    bool enabled = false;  // default off
    std::string url_template = "https://{client}.spideo.tv/api/users/{user}/properties/{property}";
    std::string method = "PUT";
  } audiences;
  delivery::RetrySettings retry;
  delivery::ConcurrencySettings concurrency;
  double rate_limit_per_s = 0;
  // TLS trust and client certificate (`tls`, and the older `tls_verify`).
  delivery::TlsSettings tls;
  // Egress proxy URL. Default empty: HTTPS_PROXY / NO_PROXY from the environment.
  std::string proxy;
  route::RoutingRules routing;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    if (!enabled) return;
    errors.check(!api_key.empty(), path + ".api_key", "is required when spideo is enabled");
    errors.check(!client.empty(), path + ".client", "is required when spideo is enabled");
    errors.check(url_template.starts_with("http://") || url_template.starts_with("https://"),
                 path + ".url_template", "must start with http:// or https://");
    errors.check(method == "PUT" || method == "POST" || method == "PATCH", path + ".method",
                 "must be one of PUT, POST, PATCH");
    errors.check(!interactions.empty(), path + ".interactions", "must map at least one event");
    errors.check(audiences.url_template.starts_with("http://") ||
                     audiences.url_template.starts_with("https://"),
                 path + ".audiences.url_template", "must start with http:// or https://");
    errors.check(audiences.method == "PUT" || audiences.method == "POST" ||
                     audiences.method == "PATCH",
                 path + ".audiences.method", "must be one of PUT, POST, PATCH");
    retry.validate(path + ".retry", errors);
    concurrency.validate(path + ".concurrency", errors);
    errors.check(rate_limit_per_s >= 0, path + ".rate_limit_per_s", "must be >= 0");
    tls.validate(path + ".tls", errors);
    delivery::validate_proxy(proxy, path + ".proxy", errors);
    routing.validate(path + ".routing", errors);
  }
};

}  // namespace cdp_relay::destinations::spideo
