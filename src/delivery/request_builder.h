// A destination's part of delivery: turning a batch of encoded events into one
// HTTP request, and classifying responses. Everything else (batching, retry,
// backoff, concurrency, breaker) is the engine's and is written once.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "delivery/delivery_item.h"
#include "delivery/http_client.h"
#include "delivery/response_class.h"

namespace cdp_relay::delivery {

// What one request of a destination's API can carry at most. The engine bounds
// its batch settings by it, whatever the configuration says.
struct RequestLimits {
  size_t max_events = std::numeric_limits<size_t>::max();
  size_t max_bytes = std::numeric_limits<size_t>::max();
};

class RequestBuilder {
 public:
  virtual ~RequestBuilder() = default;
  // REQUIRES: `batch` is non-empty and within the engine's batch bounds.
  virtual HttpRequest build(const std::vector<DeliveryItem>& batch) const = 0;
  // Bytes a batch of events adds around their payloads ({"data":[...]}, commas).
  virtual size_t framing_bytes(size_t events) const = 0;
  virtual const StatusClassifier& classifier() const = 0;
  // No limit unless the destination's API has one (Spideo: one event per request).
  virtual RequestLimits request_limits() const { return {}; }
  // Values that must never leave the engine in a message (API keys, raw and
  // URL-encoded): a destination that echoes the request URL in its error body
  // would otherwise put the key into a DLQ header.
  virtual std::vector<std::string> secrets() const { return {}; }
};

}  // namespace cdp_relay::delivery
