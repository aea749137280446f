// The dead-letter record: value, key and headers as README "Dead-letter topic"
// documents them (schemas/dlq-headers.schema.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cdp_relay/error.h"

namespace cdp_relay::kafka_sinks {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct DeadLetter {
  std::string value;               // original bytes, or the batch item
  std::optional<std::string> key;  // original key
  Error error;
  std::string destination;         // empty before routing (decode/validate stage)
  int64_t first_attempt_ms = -1;   // delivery stage only
  int64_t last_attempt_ms = -1;
  std::string source_topic;
  int32_t source_partition = -1;
  int64_t source_offset = -1;
};

// The cdp.* headers of a dead letter. The message is trimmed (on a UTF-8
// boundary) and was built without secrets (see cdp_relay::Error).
Headers dead_letter_headers(const DeadLetter& letter);

}  // namespace cdp_relay::kafka_sinks
