// The per-destination routing decision for one canonical event: Segment's
// integrations object, include/exclude rules, then consent rules.
#pragma once

#include <string_view>

#include "cdp_relay/event.h"
#include "route/route_config.h"
#include "cdp_relay/route_decision.h"

namespace cdp_relay::route {

// kRouted, or the first rule that keeps the event away.
// `integration_name` empty means the destination ignores `integrations`.
RouteDecision route_event(const CanonicalEvent& event, const RoutingRules& rules,
                          std::string_view integration_name);

}  // namespace cdp_relay::route
