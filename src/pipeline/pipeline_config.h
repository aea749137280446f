// The `pipeline` section: bounds on in-flight work (docs/architecture.md
// "Delivery semantics").
#pragma once

#include <cstddef>
#include <cstdint>

namespace cdp_relay::pipeline {

struct PipelineSettings {
  // Consumed messages not yet fully resolved; above it the consumer pauses.
  // Default 20000. Range >= 1.
  size_t max_inflight_messages = 20000;
  // Their original bytes (kept for the DLQ); above it the consumer pauses.
  // Default 64 MiB. Range >= 1 MiB.
  size_t max_inflight_bytes = 64u << 20;
  // How long a revoke waits for the revoked partitions' in-flight work before
  // committing what is resolved and releasing them. Default 10000. Range >= 0.
  int64_t rebalance_drain_timeout_ms = 10000;
  // HTTP request timeout per attempt. Default 30000. Range >= 100.
  int64_t request_timeout_ms = 30000;
};

}  // namespace cdp_relay::pipeline
