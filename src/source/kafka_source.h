// The Kafka consumer-group source (docs/architecture.md): librdkafka's KafkaConsumer
// with cooperative-sticky assignment, offsets stored only by the pipeline's
// watermark, and a rebalance hook that lets the pipeline drain and commit
// before partitions are released.
//
// Configuration the relay enforces over any pass-through value, because
// at-least-once depends on it:
//   enable.auto.offset.store=false  offsets are stored only via store_offset()
// Defaults a user may override (kafka.consumer.*):
//   enable.auto.commit=true, auto.commit.interval.ms=1000: stored offsets are
//     committed in the background, and synchronously on revoke and shutdown;
//   partition.assignment.strategy=cooperative-sticky;
//   auto.offset.reset=earliest: a new group never skips existing events;
//   statistics.interval.ms=5000 when metrics are wanted: the statistics
//     carry each partition's consumer lag (cdp_relay_consumer_lag, and the
//     seconds-behind estimate of source/consumer_lag.h). 0 turns them off.
//
// Back-fill (settings.start_from_timestamp_ms): on assignment, a partition
// without a committed offset is positioned at the first offset at or after
// that time (source/start_position.h); committed offsets still win.
//
// Metrics (optional): rebalances, assigned partitions, consumer errors, and
// per assigned partition the lag, seconds behind and committed offset (from
// the offset-commit callback, so background auto-commits count too).
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/source.h"
#include "source/consumer_lag.h"
#include "source/source_config.h"
#include "source/start_position.h"
#include "util/wait_set.h"

namespace cdp_relay::obs {
class SourceMetrics;
}

namespace cdp_relay::source {

using pipeline::CommitResult;
using pipeline::RebalanceListener;
using pipeline::TopicPartition;
using pipeline::TopicPartitionOffset;

class KafkaSource final : public pipeline::Source {
 public:
  // Throws std::runtime_error on invalid librdkafka settings (startup only).
  // `metrics` may be null (no metrics, no statistics).
  KafkaSource(const KafkaSettings& settings, const std::vector<std::string>& topics,
              RebalanceListener& listener, obs::SourceMetrics* metrics = nullptr);
  ~KafkaSource() override;
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // The next message, without waiting, or nullopt when the queue is empty.
  // The message keeps librdkafka's buffer (no copy) until its owner is reset.
  // Consumer errors (broker down, ...) are logged, counted and skipped:
  // librdkafka recovers from them itself.
  std::optional<pipeline::ConsumedMessage> poll() override;

  // Event-driven use: the consumer queue (messages, rebalances, statistics,
  // commit results) writes to a pipe when it goes from empty to non-empty.
  // add_wait() makes the pipeline's wait watch that pipe; begin_serving()
  // empties it and must be called before polling the queue until poll()
  // returns nullptr, so that anything queued later wakes the wait again.
  // Stopping before nullptr leaves work queued that will not signal: the
  // caller must then not sleep.
  void add_wait(util::WaitSet& wait) const override { wait.watch(wake_.read_fd(), POLLIN); }
  void begin_serving() override { wake_.drain(); }

  // Stores `offset` (the next offset to consume) for commit. A partition that
  // is no longer assigned answers __STATE: expected after a revoke, ignored.
  void store_offset(const std::string& topic, int32_t partition, int64_t offset) override;

  // Commits the given offsets (revoke) or, with an empty list, every stored
  // offset (shutdown), waiting at most `timeout` for the broker's answer: with
  // the brokers unreachable a commit never answers, and shutdown and revoke
  // have deadlines. Not committing is safe (the next owner redelivers).
  CommitResult commit(const std::vector<TopicPartitionOffset>& offsets,
                      std::chrono::milliseconds timeout) override;

  // Stops or restarts fetching from every assigned partition (backpressure).
  void pause_all() override;
  void resume_all() override;
  bool paused() const override { return paused_; }

  std::vector<TopicPartition> assignment() const;
  // The consumer's effective librdkafka configuration, secrets hidden
  // (util::effective_kafka_properties).
  std::map<std::string, std::string> effective_properties() const;
  uint64_t rebalances() const { return rebalances_; }
  uint64_t consumer_errors() const { return consumer_errors_; }
  // Partitions assigned, counted from the rebalance callbacks.
  int64_t assigned_count() const { return assigned_count_; }

  // Leaves the group (triggering a final revoke, served here) and closes the
  // consumer, giving up after `timeout`. Returns false when it gave up: the
  // handle is then destroyed without another close, which would block again.
  bool close(std::chrono::milliseconds timeout) override;

  rd_kafka_t* handle() { return consumer_; }

 private:
  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static int on_statistics(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);
  static void on_commit(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* offsets, void* opaque);
  void track_assignment(const std::vector<TopicPartition>& partitions, bool assigned);
  // Back-fill: positions the partitions of an assignment that the group has
  // not started yet (source/start_position.h) and logs where each starts.
  void position_backfill(rd_kafka_topic_partition_list_t* partitions);

  rd_kafka_t* consumer_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;  // the consumer queue, signalling wake_
  util::WakePipe wake_;
  RebalanceListener& listener_;
  bool paused_ = false;
  bool closed_ = false;
  bool close_finished_ = false;
  uint64_t rebalances_ = 0;
  uint64_t consumer_errors_ = 0;
  int64_t assigned_count_ = 0;
  obs::SourceMetrics* metrics_ = nullptr;
  LagEstimator lag_;
  std::optional<int64_t> start_from_timestamp_ms_;
  OffsetsForTimes offsets_for_times_;
};

}  // namespace cdp_relay::source
