// A dead letter as the pipeline loop describes it: the original bytes, why
// they failed and where they came from. How it becomes a record (its cdp.*
// headers, README "Dead-letter topic") is the dead-letter writer's business
// (kafka_sinks/dead_letter.h); the loop is handed that function.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cdp_relay/error.h"
#include "pipeline/sink.h"

namespace cdp_relay::pipeline {

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

using DeadLetterHeaders = std::function<Headers(const DeadLetter&)>;

}  // namespace cdp_relay::pipeline
