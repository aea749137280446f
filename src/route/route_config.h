// destinations.<name>.routing: which events a destination takes, beyond
// Segment's integrations object (README "Routing"). Field names are YAML keys.
#pragma once

#include <string>
#include <vector>

#include "util/config_errors.h"

namespace cdp_relay::route {

// Matches an event by kind ("track", "page", "custom_event", ...) and/or name
// (the track event, page or screen name). An empty field matches anything.
struct RouteRule {
  std::string kind;
  std::string event;
};

struct ConsentRules {
  // Drop events of users whose mParticle ccpa.data_sale_opt_out.consented is
  // true. Default false.
  bool block_ccpa_opt_out = false;
  // Drop events unless every listed GDPR purpose is consented. Default none.
  std::vector<std::string> required_gdpr_purposes;
};

struct RoutingRules {
  // When non-empty, only events matching one of these go to the destination.
  std::vector<RouteRule> include;
  // Events matching one of these never go to the destination.
  std::vector<RouteRule> exclude;
  ConsentRules consent;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    auto check = [&](const std::vector<RouteRule>& rules, const std::string& list) {
      for (size_t i = 0; i < rules.size(); ++i) {
        errors.check(!rules[i].kind.empty() || !rules[i].event.empty(),
                     path + "." + list + "[" + std::to_string(i) + "]",
                     "needs a kind or an event");
      }
    };
    check(include, "include");
    check(exclude, "exclude");
  }
};

}  // namespace cdp_relay::route
