// Segment's `integrations` object as a per-destination filter (README "Routing").
#pragma once

#include <string_view>

#include "cdp_relay/event.h"

namespace cdp_relay::route {

// False when the event's integrations keep it away from `integration_name`
// ("Vidora", "Spideo"):
//   - "<Name>": false                      -> blocked
//   - "All": false without "<Name>": true  -> blocked
// Any other value of "<Name>" (true, or an options object) enables it, as in
// Segment. Item keys win over the batch envelope's (LayeredObject lookup).
bool integrations_allow(const LayeredObject& integrations, std::string_view integration_name);

}  // namespace cdp_relay::route
