// Stable message ids for events that carry none (README "Inputs"): the same input
// always gets the same id, so a redelivered event is recognisable downstream.
#pragma once

#include <string>

#include "cdp_relay/event.h"

namespace cdp_relay::model {

// A deterministic id derived from topic/partition/offset/index, so that a
// redelivered message gets the same id and destinations can deduplicate.
// Format: "cdp-" followed by 16 lowercase hex digits (FNV-1a 64).
std::string synthesize_message_id(const Origin& origin);

}  // namespace cdp_relay::model
