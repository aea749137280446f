// The canonical event as JSON: the value written to the normalized-events
// topic (DESIGN.md section 5) and a stable, documented shape for consumers.
#pragma once

#include <string>

#include "cdp_relay/event.h"

namespace cdp_relay::model {

// Appends the event as one JSON object. Segment contexts are written merged
// (item over envelope); absent fields are omitted.
void append_canonical_json(std::string& out, const CanonicalEvent& event);

}  // namespace cdp_relay::model
