// `cdp-relay replay`: re-produces dead letters into a topic, once
// (docs/replay.md). A bounded job, not a daemon: it reads each partition of
// the dead-letter topic from the replay group's committed offset (the log
// start when there is none) up to the high watermark seen at start, then
// commits and returns.
//
// Invariants:
//  - At-least-once, never loss: an offset is committed only when every
//    selected record below it was acknowledged by the target topic
//    (source::PartitionTracker's contiguous watermark, the relay's own rule).
//    Records skipped by the window or the filters resolve at once.
//  - No double replay: the group's committed offsets move past what was
//    replayed, so a rerun with the same group starts after it. A crash
//    between an acknowledgement and the next commit replays at most the
//    records produced since the last commit (committed every second).
//  - The group is used for its offsets only: partitions are assigned, never
//    subscribed, so no rebalance can interleave; do not run two replays with
//    the same group at once.
//  - --dry-run produces nothing and commits nothing.
//  - Failures are reported, not thrown: unknown topic, unreachable brokers
//    (within `timeout`), no progress for `timeout`, records left
//    unacknowledged `timeout` after the last one was produced, a failed
//    commit. What was acknowledged before the failure is still committed.
//
// Single-threaded: run() owns the consumer and the producer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "cdp_relay/clock.h"
#include "replay/record_selector.h"
#include "replay/replay_report.h"

namespace cdp_relay::replay {

inline constexpr const char* kDefaultReplayGroup = "cdp-relay-replay";

struct ReplayOptions {
  std::string from_topic;  // the dead-letter topic
  std::string to_topic;    // usually the relay's source topic
  std::string group = kDefaultReplayGroup;
  RecordSelector selector;
  double rate_per_s = 0;     // records produced per second; 0 = unlimited
  bool dry_run = false;
  uint64_t max_events = 0;   // stop after this many selected records; 0 = no limit
  // Bounds every wait: metadata and offset look-ups, a stall of the consumer
  // or of the acknowledgements, the final flush.
  std::chrono::milliseconds timeout{30000};
  size_t max_inflight = 10000;  // produced, not yet acknowledged
  size_t samples = 5;           // selected records listed by --dry-run
};

// librdkafka properties, bootstrap.servers included: the relay config's
// kafka.consumer / kafka.producer pass-through (SASL, SSL). The job adds the
// settings replay depends on (group.id, no auto-commit, an idempotent
// producer) over them.
struct KafkaClientProperties {
  std::map<std::string, std::string> consumer;
  std::map<std::string, std::string> producer;
};

class ReplayJob {
 public:
  // `clock` paces --rate and measures timeouts; it must outlive the job.
  ReplayJob(KafkaClientProperties properties, ReplayOptions options, const Clock& clock);

  // Runs to the end, to a failure, or until `stop` is set.
  ReplayReport run(const std::atomic<bool>& stop);

 private:
  KafkaClientProperties properties_;
  ReplayOptions options_;
  const Clock& clock_;
};

}  // namespace cdp_relay::replay
