// Stable message ids for events that carry none (DESIGN.md section 2).
#pragma once

#include <string>

#include "cdp_relay/event.h"

namespace cdp_relay::model {

// A deterministic id derived from topic/partition/offset/index, so that a
// redelivered message gets the same id and destinations can deduplicate.
// Format: "cdp-" followed by 16 lowercase hex digits (FNV-1a 64).
std::string synthesize_message_id(const Origin& origin);

}  // namespace cdp_relay::model
