// Settings of the shared HTTP delivery engine, one set per destination
// (README "Delivery", docs/config.md). Field names are the YAML keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/config_errors.h"

namespace cdp_relay::delivery {

// destinations.<name>.batch
struct BatchSettings {
  // Most events in one request. Default 500. Range 1-100000.
  size_t max_events = 500;
  // Most body bytes in one request. Default 512 KiB. Range >= 1024.
  size_t max_bytes = 512 * 1024;
  // Longest a partial batch waits for more events, in ms. Default 100. Range >= 0.
  int64_t linger_ms = 100;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    errors.check(max_events > 0 && max_events <= 100000, path + ".max_events",
                 "must be > 0 and <= 100000");
    errors.check(max_bytes >= 1024, path + ".max_bytes", "must be >= 1024");
    errors.check(linger_ms >= 0, path + ".linger_ms", "must be >= 0");
  }
};

// destinations.<name>.retry
struct RetrySettings {
  // First backoff, in ms; doubles per attempt with full jitter. Default 200. Range > 0.
  int64_t initial_backoff_ms = 200;
  // Backoff ceiling, in ms. Default 30000. Range >= initial_backoff_ms.
  int64_t max_backoff_ms = 30000;
  // After this many seconds of failed attempts an event is dead-lettered with
  // its last status. Default 3600. Range > 0.
  int64_t max_retry_duration_s = 3600;
  // Fixed wait between attempts while the destination answers 401/403. Those
  // events are never dead-lettered: they wait for an operator to fix the key.
  // Default 30000. Range >= 100.
  int64_t auth_hold_ms = 30000;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    errors.check(initial_backoff_ms > 0, path + ".initial_backoff_ms", "must be > 0");
    errors.check(max_backoff_ms >= initial_backoff_ms, path + ".max_backoff_ms",
                 "must be >= initial_backoff_ms");
    errors.check(max_retry_duration_s > 0, path + ".max_retry_duration_s", "must be > 0");
    errors.check(auth_hold_ms >= 100, path + ".auth_hold_ms", "must be >= 100");
  }
};

// destinations.<name>.concurrency
struct ConcurrencySettings {
  // Concurrent requests at start; AIMD moves the limit within [1, max].
  // Default 8. Range 1-max.
  int initial = 8;
  // Ceiling of the adaptive limit. Default 64. Range >= 1.
  int max = 64;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    errors.check(max >= 1, path + ".max", "must be >= 1");
    errors.check(initial >= 1 && initial <= max, path + ".initial", "must be >= 1 and <= max");
  }
};

}  // namespace cdp_relay::delivery
