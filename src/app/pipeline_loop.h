// The pipeline loop: moves data between the stages on one thread, and owns
// the per-partition watermarks.
//
//   KafkaSource --message--> TransformStage --encoded events--> DeliveryEngine(s)
//        ^                        |  \--canonical JSON--------> normalized KafkaWriter
//        |                        \--rejections-------------> dead-letter KafkaWriter
//        \--store_offset(watermark) <--outcomes / acks---------/
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
// callbacks (librdkafka calls them from inside KafkaSource::poll). Counters are
// atomics so a progress printer may read them from another thread.
//
// The one wait: each turn takes what the consumer queue holds (at most
// kMaxMessagesPerStep messages), polls every sink without waiting, stores
// offsets, applies backpressure, and then sleeps in a single poll(2)
// (wait_for_work) until something has work: the consumer queue's wake-up
// pipe (a message, a rebalance, statistics), a delivery engine's curl
// sockets, a Kafka writer's delivery-report pipe, or the earliest timer any
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
// per destination the circuit-open time and auth failure.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/relay_config.h"
#include "cdp_relay/clock.h"
#include "delivery/delivery_engine.h"
#include "kafka_sinks/kafka_writer.h"
#include "obs/health.h"
#include "obs/metrics.h"
#include "route/transform_stage.h"
#include "source/kafka_source.h"
#include "source/offset_watermark.h"
#include "util/string_pool.h"
#include "util/wait_set.h"

namespace cdp_relay::app {

struct PipelineCounters {
  std::atomic<uint64_t> messages_consumed{0};
  std::atomic<uint64_t> events_decoded{0};
  std::atomic<uint64_t> events_delivered{0};     // all HTTP destinations
  std::atomic<uint64_t> events_dead_lettered{0}; // DLQ records written (acked or not)
  std::atomic<uint64_t> events_skipped{0};       // the destination takes no such kind (alias)
  std::atomic<uint64_t> events_filtered{0};      // integrations kept them away
  std::atomic<uint64_t> normalized_written{0};
  std::atomic<uint64_t> offsets_committed{0};    // synchronous commits that succeeded
  std::atomic<uint64_t> pauses{0};
};

// Where the transform stage's output number i goes.
struct OutputRoute {
  delivery::DeliveryEngine* engine = nullptr;     // an HTTP destination, or
  kafka_sinks::KafkaWriter* normalized = nullptr; // the normalized topic
  std::string normalized_topic;
  obs::RouteMetrics* metrics = nullptr;        // optional
  obs::DestinationHealth* health = nullptr;    // optional; HTTP destinations only
};

// Optional metric handles and health state; any may be null.
struct LoopObservability {
  obs::SourceMetrics* source = nullptr;
  obs::TransformMetrics* transform = nullptr;
  obs::HealthState* health = nullptr;
};

class PipelineLoop final : public source::RebalanceListener {
 public:
  PipelineLoop(const RelayConfig& config, route::TransformStage& transform,
               std::vector<OutputRoute> routes, kafka_sinks::KafkaWriter& dead_letters,
               Clock& clock, LoopObservability observability = {});

  // REQUIRES: called once, before run(); `source` was created with this loop
  // as its RebalanceListener.
  void attach(source::KafkaSource& source) { source_ = &source; }

  // Consumes, transforms and delivers until `stop` becomes true, then drains
  // within shutdown_grace_s, commits and leaves the group.
  // Returns true when everything in flight was resolved before the grace ran out.
  bool run(const std::atomic<bool>& stop);

  const PipelineCounters& counters() const { return counters_; }
  // Dead letters by reason name, for summaries. Only read on the loop thread
  // or after run() returned.
  const std::map<std::string, uint64_t>& dead_letters_by_reason() const { return dlq_by_reason_; }
  size_t inflight_messages() const;
  // Detaches every message still in flight, revoked partitions' included,
  // from the consumer (copies its bytes). REQUIRES: before the KafkaSource is
  // destroyed, whose rd_kafka_destroy() would otherwise wait for them forever.
  // run() does it on its way out; Relay's destructor does it again.
  void detach_consumer_messages();
  bool has_assignment() const { return !trackers_.empty(); }
  // Backpressure: holding or paused (cdp_relay_consumer_paused).
  bool backpressured() const { return held_since_.has_value() || (source_ && source_->paused()); }

  // RebalanceListener
  void on_assigned(const std::vector<source::TopicPartition>& partitions) override;
  void on_revoking(const std::vector<source::TopicPartition>& partitions, bool lost) override;

 private:
  using PartitionKey = std::pair<std::string, int32_t>;
  struct SourceTopicState {
    decode::InputFormat format = decode::InputFormat::kAuto;
    obs::TopicMetrics metrics;  // null counters without metrics
  };

  void handle_message(source::KafkaMessage message);
  void dead_letter(kafka_sinks::DeadLetter letter, const OutputRef& ref);
  void dead_letter_delivery_failure(delivery::DeliveryOutcome& outcome,
                                    const std::string& destination);
  // Takes what the consumer queue holds, at most a turn's worth. True when
  // it may hold more: the caller must not sleep then.
  bool consume();
  // Polls every sink once, without waiting, resolving what finished.
  void service_sinks();
  // The loop's one wait: sleeps until the consumer (`with_source`), a sink
  // or a timer has work, or `deadline`, and at most kMaxSleep.
  void wait_for_work(bool with_source, std::optional<Clock::time_point> deadline);
  void add_sink_waits(util::WaitSet& wait) const;
  void resolve(const OutputRef& ref);
  void store_offsets();
  void apply_backpressure();
  decode::InputFormat format_of(const std::string& topic) const;
  void publish_health();
  size_t inflight_bytes() const;
  size_t tracked_messages() const;
  void drain(const std::vector<std::shared_ptr<source::PartitionTracker>>& trackers,
             Clock::time_point deadline);

  const RelayConfig& config_;
  route::TransformStage& transform_;
  std::vector<OutputRoute> routes_;
  kafka_sinks::KafkaWriter& dead_letters_;
  Clock& clock_;
  source::KafkaSource* source_ = nullptr;
  LoopObservability obs_;

  std::map<std::string, SourceTopicState> topics_;
  std::map<PartitionKey, std::shared_ptr<source::PartitionTracker>> trackers_;
  // Revoked partitions whose messages were still in flight: late completions
  // keep them alive, and detach_consumer_messages() must still reach them.
  std::vector<std::weak_ptr<source::PartitionTracker>> revoked_inflight_;
  route::TransformResult result_;
  decode::Decoder item_decoder_;  // rebuilds batch items for late dead letters
  std::vector<delivery::DeliveryOutcome> outcomes_;
  // Delivered events' payload buffers, reused for the next events' items
  // (at most 8 MiB of them; ~1 KB events make ~8,000).
  util::StringPool payload_buffers_{8 << 20};
  std::vector<OutputRef> acked_;
  util::WaitSet waits_;
  std::optional<Clock::time_point> shutdown_deadline_;
  // Set while over an in-flight bound and not (yet) paused.
  std::optional<Clock::time_point> held_since_;
  PipelineCounters counters_;
  std::map<std::string, uint64_t> dlq_by_reason_;
};

}  // namespace cdp_relay::app
