// The pipeline loop: moves data between the stages on one thread, and owns
// the per-partition watermarks.
//
//   Source --message--> TransformStage --encoded events--> Sink per route
//      ^                       |                           (HTTP destinations,
//      |                       |                            the normalized topic)
//      |                       \--rejections, failures---> dead-letter Sink
//      \--store_offset(watermark) <--outcomes / acks------/
//
// The loop knows its stages only through small interfaces (pipeline/source.h,
// pipeline/sink.h); app/wiring.cc plugs in KafkaSource, DeliveryEngine and
// KafkaWriter, and the unit tests plug in fakes.
//
// It holds no stage logic: decoding, batching, retrying and producing live in
// their stages. What it owns is the bookkeeping of at-least-once delivery
// (docs/architecture.md "Delivery semantics"):
//  - every output of a message (one per encoded event per destination, one
//    per DLQ record, one per normalized record) is registered on the
//    message's PartitionTracker before any can resolve, and the message is
//    sealed after the last;
//  - a delivery failure is turned into a DLQ record *before* its delivery
//    output resolves, so the watermark never passes it;
//  - offsets are stored only from the watermark, never for revoked partitions;
//  - in-flight (unresolved) messages and their bytes are bounded, and so is
//    the watermark gap (resolved messages behind an unresolved one): above a
//    bound the loop holds (takes nothing from the consumer queue, whose
//    prefetched messages stay there) until it is below again; a hold that
//    lasts kMaxHold pauses the partitions, which resume below half of every
//    bound.
//
// Threading: everything runs on the caller's thread, including the rebalance
// callbacks (the source calls them from inside Source::poll). Counters are
// atomics so a progress printer may read them from another thread.
//
// The one wait: each turn takes what the consumer queue holds (at most
// kMaxMessagesPerStep messages), polls every sink without waiting, stores
// offsets, applies backpressure, and then sleeps in a single poll(2)
// (wait_for_work) until something has work: the consumer queue's wake-up
// pipe (a message, a rebalance, statistics), a sink's descriptors (curl's
// sockets, a Kafka writer's delivery-report pipe), or the earliest timer any
// of them reports (a batch's linger, a retry's backoff, the rate limiter's
// next token, the circuit breaker's probe, curl's own timeouts, a Kafka
// writer's re-produce time), capped at kMaxSleep for the heartbeat and the
// stop flag. Each stage says what it waits for through its add_wait(); the
// loop only collects. So the CPU the loop spends follows the work: no turn
// runs without a message, a response, an acknowledgement or a due timer.
//
// Observability (optional, LoopObservability): the loop counts what only it
// sees (input events per topic, decode rejections, what each route took,
// backpressure) and publishes liveness/readiness atomics (obs::HealthState)
// for the admin server: running, a heartbeat per turn, group membership, and
// per destination the circuit-open time and auth failure (Sink::health()).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cdp_relay/clock.h"
#include "decode/decode_config.h"
#include "decode/decoder.h"
#include "pipeline/dead_letter.h"
#include "pipeline/offset_watermark.h"
#include "pipeline/pipeline_config.h"
#include "pipeline/sink.h"
#include "pipeline/source.h"
#include "route/transform_stage.h"
#include "util/string_pool.h"
#include "util/wait_set.h"

namespace prometheus {
class Counter;
}

namespace cdp_relay::obs {
class SourceMetrics;
class TransformMetrics;
struct RouteMetrics;
class HealthState;
struct DestinationHealth;
}  // namespace cdp_relay::obs

namespace cdp_relay::pipeline {

struct PipelineCounters {
  std::atomic<uint64_t> messages_consumed{0};
  std::atomic<uint64_t> events_decoded{0};
  std::atomic<uint64_t> events_delivered{0};     // all HTTP destinations
  std::atomic<uint64_t> events_dead_lettered{0}; // DLQ records written (acked or not)
  std::atomic<uint64_t> events_skipped{0};       // the destination takes no such kind (alias)
  std::atomic<uint64_t> events_filtered{0};      // integrations kept them away
  std::atomic<uint64_t> offsets_committed{0};    // commits on revoke and shutdown that succeeded
  std::atomic<uint64_t> pauses{0};
};

// Where the transform stage's output number i goes.
struct Route {
  Sink* sink = nullptr;                     // an HTTP destination, the normalized topic, ...
  obs::RouteMetrics* metrics = nullptr;     // optional
  obs::DestinationHealth* health = nullptr; // optional: published from sink->health()
};

// Where dead letters go, and how a dead letter becomes that sink's record.
struct DeadLetterRoute {
  Sink* sink = nullptr;
  DeadLetterHeaders headers;  // the record's headers (README "Dead-letter topic")
};

struct LoopSettings {
  PipelineSettings bounds;
  std::chrono::seconds shutdown_grace{30};
  // Each source topic's input format; the decode limits, with which a late
  // delivery failure's batch item is read again for its dead letter.
  std::map<std::string, decode::InputFormat> topic_formats;
  decode::DecodeLimits limits;
  // A message still unresolved this long after it was consumed (up to twice
  // this, plus a turn) stops pinning the source's buffer: its bytes are
  // copied (InflightMessage::detach_from_consumer). Shorter copies more
  // messages against a fast destination; longer lets long-held messages pin
  // more buffers against a slow one.
  std::chrono::milliseconds buffer_lease{100};
};

// Optional metric handles and health state; any may be null.
struct LoopObservability {
  obs::SourceMetrics* source = nullptr;
  obs::TransformMetrics* transform = nullptr;
  obs::HealthState* health = nullptr;
};

class PipelineLoop final : public RebalanceListener {
 public:
  PipelineLoop(LoopSettings settings, route::TransformStage& transform,
               std::vector<Route> routes, DeadLetterRoute dead_letters, Clock& clock,
               LoopObservability observability = {});
  ~PipelineLoop() override;

  // REQUIRES: called once, before run(); `source` calls this loop back as its
  // RebalanceListener.
  void attach(Source& source) { source_ = &source; }

  // How the loop sleeps in its one wait, given what to watch and the longest
  // sleep. The default sleeps in poll(2) (util::WaitSet::wait); tests replace
  // it to see what the loop waits for and to move a manual clock instead.
  using Waiter = std::function<void(util::WaitSet& wait, std::chrono::milliseconds max_sleep)>;
  void set_waiter(Waiter waiter) { waiter_ = std::move(waiter); }

  // Consumes, transforms and delivers until `stop` becomes true, then drains
  // within the shutdown grace, commits and leaves the group.
  // Returns true when everything in flight was resolved before the grace ran out.
  bool run(const std::atomic<bool>& stop);

  const PipelineCounters& counters() const { return counters_; }
  // Dead letters by reason name, for summaries. Only read on the loop thread
  // or after run() returned.
  const std::map<std::string, uint64_t>& dead_letters_by_reason() const { return dlq_by_reason_; }
  size_t inflight_messages() const;
  // Detaches every message still in flight, revoked partitions' included,
  // from the source (copies its bytes). REQUIRES: before a KafkaSource is
  // destroyed, whose rd_kafka_destroy() would otherwise wait for them forever.
  // run() does it on its way out; Relay's destructor does it again.
  void detach_consumer_messages();
  bool has_assignment() const { return !trackers_.empty(); }
  // Backpressure: holding or paused (cdp_relay_consumer_paused).
  bool backpressured() const { return held_since_.has_value() || (source_ && source_->paused()); }

  // RebalanceListener
  void on_assigned(const std::vector<TopicPartition>& partitions) override;
  void on_revoking(const std::vector<TopicPartition>& partitions, bool lost) override;

 private:
  using PartitionKey = std::pair<std::string, int32_t>;
  struct SourceTopicState {
    decode::InputFormat format = decode::InputFormat::kAuto;
    prometheus::Counter* messages = nullptr;  // null without metrics
    prometheus::Counter* events = nullptr;
  };

  // The tracker and topic state of a consumed message's partition; null
  // tracker when the partition is not (or no longer) ours.
  struct ConsumingPartition {
    const std::shared_ptr<PartitionTracker>* tracker = nullptr;  // in trackers_
    const SourceTopicState* topic = nullptr;                     // null: no state
  };
  ConsumingPartition consuming_partition(std::string_view topic, int32_t partition);

  void handle_message(ConsumedMessage message);
  void dead_letter(DeadLetter letter, const OutputRef& ref);
  void dead_letter_delivery_failure(Outcome& outcome, const std::string& destination);
  void count_route(const Route& route, const route::DestinationOutput& output);
  // Takes what the source holds, at most a turn's worth. True when it may
  // hold more: the caller must not sleep then.
  bool consume();
  // Polls every sink once, without waiting, resolving what finished.
  void service_sinks();
  void handle_outcome(Outcome& outcome, const Sink& sink);
  // The loop's one wait: sleeps until the source (`with_source`), a sink
  // or a timer has work, or `deadline`, and at most kMaxSleep.
  void wait_for_work(bool with_source, std::optional<Clock::time_point> deadline);
  void store_offsets();
  void apply_backpressure();
  decode::InputFormat format_of(const std::string& topic) const;
  void publish_health();
  size_t inflight_bytes() const;
  size_t tracked_messages() const;
  // Once a buffer lease: detaches the messages held since the previous time.
  void end_buffer_leases();
  // Calls `visit(PartitionTracker&)` for every tracker that may hold
  // consumed messages: the assigned partitions' and the revoked ones' still
  // in flight.
  template <typename Visit>
  void for_each_tracker(Visit&& visit);
  void drain(const std::vector<std::shared_ptr<PartitionTracker>>& trackers,
             Clock::time_point deadline);

  const LoopSettings settings_;
  route::TransformStage& transform_;
  std::vector<Route> routes_;
  DeadLetterRoute dead_letters_;
  Clock& clock_;
  Source* source_ = nullptr;
  LoopObservability obs_;

  std::map<std::string, SourceTopicState> topics_;
  std::map<PartitionKey, std::shared_ptr<PartitionTracker>> trackers_;
  // Revoked partitions whose messages were still in flight: late completions
  // keep them alive, and detach_consumer_messages() must still reach them.
  std::vector<std::weak_ptr<PartitionTracker>> revoked_inflight_;
  // The previous message's partition: the consumer hands out messages in
  // runs of one partition, so most messages skip the two map lookups (and
  // the topic string they need). Cleared whenever trackers_ changes.
  ConsumingPartition last_partition_;
  route::TransformResult result_;
  decode::Decoder item_decoder_;  // rebuilds batch items for late dead letters
  std::vector<Outcome> outcomes_;
  // Finished outputs' payload buffers, reused for the next events' outputs
  // (at most 8 MiB of them; ~1 KB events make ~8,000).
  util::StringPool payload_buffers_{8 << 20};
  util::WaitSet waits_;
  Waiter waiter_;
  std::optional<Clock::time_point> shutdown_deadline_;
  // Set while over an in-flight bound and not (yet) paused.
  std::optional<Clock::time_point> held_since_;
  Clock::time_point next_lease_sweep_{};
  PipelineCounters counters_;
  std::map<std::string, uint64_t> dlq_by_reason_;
};

}  // namespace cdp_relay::pipeline
