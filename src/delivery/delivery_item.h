// What the transform stage hands to a destination's delivery engine, and what
// comes back: the small interface between the routing and delivery stages.
#pragma once

#include <cstdint>
#include <string>

#include "cdp_relay/error.h"
#include "cdp_relay/output_ref.h"

namespace cdp_relay::delivery {

struct DeliveryItem {
  OutputRef ref;            // resolved when the item is delivered or dead-lettered
  std::string payload;      // the destination's wire form of one event
  std::string user_key;     // ordering key: events of one user stay in order
  int64_t event_time_ms = 0;  // for end-to-end latency
};

struct DeliveryOutcome {
  DeliveryItem item;
  bool delivered = false;
  // When not delivered: why (stage deliver), with the last HTTP status,
  // the attempt count and a trimmed response body in the message.
  Error error;
  int64_t first_attempt_ms = -1;
  int64_t last_attempt_ms = -1;
};

}  // namespace cdp_relay::delivery
