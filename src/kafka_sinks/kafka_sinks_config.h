// dead_letter and normalized: the Kafka outputs (README "Dead-letter topic").
#pragma once

#include <string>

#include "util/config_errors.h"

namespace cdp_relay::kafka_sinks {

struct DeadLetterSettings {
  // Topic that receives every event the relay cannot deliver. Required.
  std::string topic;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    errors.check(!topic.empty(), path + ".topic", "is required");
  }
};

// Optional: canonical events as JSON, keyed by user id, idempotent producer.
struct NormalizedSettings {
  bool enabled = false;  // true when the `normalized` section is present
  std::string topic;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    if (enabled) errors.check(!topic.empty(), path + ".topic", "is required");
  }
};

}  // namespace cdp_relay::kafka_sinks
