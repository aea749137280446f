// The `pipeline` section: bounds on in-flight work (docs/architecture.md
// "Delivery semantics").
#pragma once

#include <cstddef>
#include <cstdint>

namespace cdp_relay::pipeline {

// The floor of max_inflight_messages' default (app's derived_max_inflight_messages).
inline constexpr size_t kMinDefaultInflightMessages = 20000;

struct PipelineSettings {
  // Consumed messages not yet fully resolved; above it the loop takes no
  // more (backpressure). Default: app::derived_max_inflight_messages() from
  // the destinations (64000 with the Vidora defaults). Range >= 1.
  size_t max_inflight_messages = kMinDefaultInflightMessages;
  // Their key and value bytes (kept for the DLQ); above it likewise.
  // Default 64 MiB. Range >= 1 MiB.
  size_t max_inflight_bytes = 64u << 20;
  // How long a revoke waits for the revoked partitions' in-flight work before
  // committing what is resolved and releasing them. Default 10000. Range >= 0.
  int64_t rebalance_drain_timeout_ms = 10000;
  // HTTP request timeout per attempt. Default 30000. Range >= 100.
  int64_t request_timeout_ms = 30000;
};

}  // namespace cdp_relay::pipeline
