#include "destinations/spideo/spideo_config.h"

#include "destinations/spideo/spideo_mapping.h"
#include "destinations/spideo/spideo_wire_request.h"

namespace cdp_relay::destinations::spideo {
namespace {

// The URL goes into the wire request as written (spideo_wire_request.h):
// characters a URL may not hold raw anyway must be percent-encoded.
bool is_http_url(const std::string& url) {
  return (url.starts_with("http://") || url.starts_with("https://")) &&
         needs_no_json_escape(url) && url.find(' ') == std::string::npos;
}

bool is_method(const std::string& method) {
  return method == "PUT" || method == "POST" || method == "PATCH";
}

}  // namespace

void SpideoSettings::validate(const std::string& path, util::ConfigErrors& errors) const {
  if (!enabled) return;
  errors.check(!api_key.empty(), path + ".api_key", "is required when spideo is enabled");
  auth.validate(path, api_key, errors);
  errors.check(!client.empty(), path + ".client", "is required when spideo is enabled");
  errors.check(is_http_url(url_template), path + ".url_template",
               "must start with http:// or https:// and hold no quote, backslash, space or "
               "control character (percent-encode them)");
  errors.check(is_method(method), path + ".method", "must be one of PUT, POST, PATCH");
  errors.check(!interactions.empty(), path + ".interactions", "must map at least one event");
  for (const auto& [name, interaction] : interactions) {
    errors.check(!interaction.empty(), path + ".interactions." + name, "must not be empty");
  }
  for (std::string& conflict : conflicting_interactions(interactions)) {
    errors.add(path + ".interactions", std::move(conflict));
  }
  errors.check(is_http_url(audiences.url_template), path + ".audiences.url_template",
               "must start with http:// or https:// and hold no quote, backslash, space or "
               "control character (percent-encode them)");
  errors.check(is_method(audiences.method), path + ".audiences.method",
               "must be one of PUT, POST, PATCH");
  retry.validate(path + ".retry", errors);
  concurrency.validate(path + ".concurrency", errors);
  errors.check(rate_limit_per_s >= 0, path + ".rate_limit_per_s", "must be >= 0");
  tls.validate(path + ".tls", errors);
  delivery::validate_proxy(proxy, path + ".proxy", errors);
  routing.validate(path + ".routing", errors);
}

}  // namespace cdp_relay::destinations::spideo
