// Which Vidora event type a canonical event becomes (README "Vidora
// mapping", its two tables). Pure functions: no Kafka, no HTTP.
#pragma once

#include <optional>
#include <string_view>

#include "cdp_relay/event.h"

namespace cdp_relay::destinations::vidora {

// The Vidora `type` of an event, or nullopt when the event is not sent
// (a Segment alias: counted as skipped, never dead-lettered).
std::optional<std::string_view> vidora_type(const CanonicalEvent& event);

// True for mParticle device_info keys that identify a device or a person and
// are removed by personal-data filtering (advertising ids, push tokens, ...).
bool is_device_identifier(std::string_view device_info_key);

}  // namespace cdp_relay::destinations::vidora
