// What the pipeline loop needs from an output: something that takes one
// output of a consumed message at a time and later reports it finished
// (delivered, acknowledged, or failed and to be dead-lettered), and that can
// say what the loop's wait must watch for it. delivery::DeliveryEngine (an
// HTTP destination) and kafka_sinks::KafkaWriter (the dead-letter and the
// normalized topics) implement it; tests use fakes that finish on command.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cdp_relay/error.h"
#include "cdp_relay/output_ref.h"
#include "util/wait_set.h"

namespace cdp_relay::pipeline {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One output of a consumed message: one encoded event for one destination,
// or one dead letter.
struct Output {
  OutputRef ref;                   // resolved when the sink reports it finished
  std::string payload;             // the sink's wire form (a dead letter: its value)
  std::optional<std::string> key;  // ordering key (the event's user) / Kafka record key
  Headers headers;                 // Kafka record headers (a dead letter's cdp.* headers)
  int64_t event_time_ms = 0;       // for end-to-end latency; 0 when unknown
};

// What became of an output.
struct Outcome {
  enum class Kind : uint8_t {
    kDelivered,     // an HTTP destination took it
    kAcknowledged,  // a Kafka broker acknowledged it
    kFailed,        // never deliverable: the loop dead-letters it
  };
  Kind kind = Kind::kDelivered;
  OutputRef ref;
  std::string payload;  // the output's bytes, handed back for reuse (may be empty)
  // kFailed only: why (stage deliver), and when it was tried.
  Error error;
  int64_t first_attempt_ms = -1;
  int64_t last_attempt_ms = -1;
};

// What /healthz and /readyz need to know about a destination.
struct SinkHealth {
  std::chrono::milliseconds circuit_open_for{0};  // 0: closed
  bool auth_failing = false;                      // the credentials are refused
};

class Sink {
 public:
  virtual ~Sink() = default;
  // "vidora", "dead_letter", ...: the DLQ's cdp.error.destination of what it fails.
  virtual const std::string& name() const = 0;
  // Takes one output; it is reported by a later poll(), never dropped.
  virtual void submit(Output output) = 0;
  // Does what is due without waiting (sends, re-sends, serves responses and
  // acknowledgements) and appends every output that finished to `outcomes`.
  virtual void poll(std::vector<Outcome>& outcomes) = 0;
  // Adds to the loop's one wait what would give poll() something to do: its
  // descriptors, and the earliest time it has work (now, when it has some).
  virtual void add_wait(util::WaitSet& wait) const = 0;
  // Outputs taken and not yet reported.
  virtual size_t pending() const = 0;
  virtual SinkHealth health() const { return {}; }
};

}  // namespace cdp_relay::pipeline
