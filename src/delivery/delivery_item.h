// One event as the delivery engine holds it: what request builders batch and
// the user-ordered queue orders. It comes in as a pipeline::Output and goes
// back as a pipeline::Outcome.
#pragma once

#include <cstdint>
#include <string>

#include "cdp_relay/output_ref.h"

namespace cdp_relay::delivery {

struct QueuedUser;  // UserOrderedQueue's state of one user

struct DeliveryItem {
  OutputRef ref;            // resolved when the item is delivered or dead-lettered
  std::string payload;      // the destination's wire form of one event
  std::string user_key;     // ordering key: events of one user stay in order
  int64_t event_time_ms = 0;  // for end-to-end latency
  // Set by UserOrderedQueue::push: its user's state, which stays where it is
  // until the item is released, so that release needs no lookup by key.
  QueuedUser* queued_user = nullptr;
};

}  // namespace cdp_relay::delivery
