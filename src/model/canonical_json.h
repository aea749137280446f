// The canonical event as JSON: the value written to the normalized-events
// topic (docs/architecture.md) and a stable, documented shape for consumers.
#pragma once

#include <string>

#include "cdp_relay/event.h"

namespace cdp_relay::model {

// Appends the event as one JSON object. Segment contexts are written merged
// (item over envelope); absent fields are omitted.
void append_canonical_json(std::string& out, const CanonicalEvent& event);

// Appends `layered.own` merged over `layered.inherited` as one JSON object:
// every own member, then the inherited members the own object lacks.
// `numbers`: the number texts of the document the objects are from.
void append_layered_object(std::string& out, const LayeredObject& layered,
                           const util::NumberTexts* numbers = nullptr);

}  // namespace cdp_relay::model
