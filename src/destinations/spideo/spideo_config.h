// destinations.spideo: the Spideo destination's settings. The URL templates,
// the verbs and the auth placement are assumptions; see README ("Spideo wire
// format: assumptions").
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "delivery/api_key_auth.h"
#include "delivery/delivery_config.h"
#include "delivery/transport_config.h"
#include "route/route_config.h"
#include "util/config_errors.h"

namespace cdp_relay::destinations::spideo {

// Spideo's API takes one interaction per request (README "Spideo
// destination"): the request builder's limit, and what the in-flight bound's
// default counts per request slot.
inline constexpr size_t kEventsPerRequest = 1;

struct SpideoSettings {
  bool enabled = false;
  // Sent as the `apikey` query parameter, or in a header (`auth`). Secret:
  // never logged. Required when enabled.
  std::string api_key;
  // Where the key goes: `auth`, `auth_header`, `auth_value`. Default: query.
  delivery::AuthSettings auth;
  // The customer's prefix in the Spideo API URL. Required when enabled.
  std::string client;
  std::string url_template =
      "https://{client}.spideo.tv/api/users/{user}/interactions/{interaction}/{content_id}";
  std::string method = "PUT";
  // Track event name -> interaction type. Names match case-insensitively and
  // with spaces, underscores and hyphens alike ("video_content_playing").
  // Configuring the key replaces this whole table.
  std::map<std::string, std::string> interactions = {
      // Segment's Video spec.
      {"Video Content Started", "play"},   {"Video Content Playing", "play"},
      {"Video Content Completed", "play"}, {"Video Content Watched", "play"},
      {"Video Playback Started", "play"},  {"Video Playback Resumed", "play"},
      {"Video Playback Completed", "play"},
      // Segment's E-commerce spec.
      {"Product Clicked", "click"},        {"Promotion Clicked", "click"},
      {"Order Completed", "buy"},          {"Product Purchased", "buy"},
  };
  // Engage audiences as user properties: an identify, or a track `Audience
  // Entered` / `Audience Exited`, whose context.personas says it comes from an
  // Engage audience (computation_class "audience"); the property is
  // context.personas.computation_key. Ordinary traits never qualify.
  struct Audiences {
    bool enabled = true;
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

  void validate(const std::string& path, util::ConfigErrors& errors) const;
};

}  // namespace cdp_relay::destinations::spideo
