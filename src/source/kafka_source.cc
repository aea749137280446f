#include "source/kafka_source.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "obs/kafka_log.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "source/kafka_message.h"
#include "util/rdkafka_conf.h"

namespace cdp_relay::source {
namespace {

std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> result;
  if (list == nullptr) return result;
  result.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    result.push_back(TopicPartition{list->elems[i].topic, list->elems[i].partition});
  }
  return result;
}

// A consumer destroyed without an explicit close (startup failures, tests)
// still leaves its group, within this bound.
constexpr std::chrono::milliseconds kCloseInDestructor{10000};

void set_or_throw(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  util::set_kafka_property(conf, key, value, "kafka.consumer");
}

// Gives a message lent to the pipeline back to librdkafka.
void release_message(void* message) {
  rd_kafka_message_destroy(static_cast<rd_kafka_message_t*>(message));
}

}  // namespace

KafkaSource::KafkaSource(const KafkaSettings& settings, const std::vector<std::string>& topics,
                         RebalanceListener& listener, obs::SourceMetrics* metrics)
    : listener_(listener),
      metrics_(metrics),
      start_from_timestamp_ms_(settings.start_from_timestamp_ms),
      offsets_for_times_(settings.offsets_for_times) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set_or_throw(conf, "bootstrap.servers", settings.brokers);
  set_or_throw(conf, "group.id", settings.group_id);
  set_or_throw(conf, "enable.auto.commit", "true");
  set_or_throw(conf, "auto.commit.interval.ms", "1000");
  set_or_throw(conf, "partition.assignment.strategy", "cooperative-sticky");
  set_or_throw(conf, "auto.offset.reset", "earliest");
  set_or_throw(conf, "enable.partition.eof", "false");
  if (metrics_ != nullptr) set_or_throw(conf, "statistics.interval.ms", "5000");
  for (const auto& [key, value] : settings.consumer) set_or_throw(conf, key, value);
  // Enforced last: at-least-once depends on storing offsets ourselves.
  set_or_throw(conf, "enable.auto.offset.store", "false");
  rd_kafka_conf_set_rebalance_cb(conf, &KafkaSource::on_rebalance);
  if (metrics_ != nullptr) {
    // Both are served from rd_kafka_consumer_poll (the main queue is
    // forwarded to the consumer queue), i.e. on the pipeline loop's thread.
    rd_kafka_conf_set_stats_cb(conf, &KafkaSource::on_statistics);
    rd_kafka_conf_set_offset_commit_cb(conf, &KafkaSource::on_commit);
  }
  rd_kafka_conf_set_opaque(conf, this);
  obs::route_kafka_logs(conf);

  char errstr[512];
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (consumer_ == nullptr) throw std::runtime_error(std::string("kafka consumer: ") + errstr);
  obs::name_kafka_client(consumer_, "consumer");
  rd_kafka_poll_set_consumer(consumer_);
  queue_ = rd_kafka_queue_get_consumer(consumer_);
  rd_kafka_queue_io_event_enable(queue_, wake_.write_fd(), "1", 1);

  rd_kafka_topic_partition_list_t* subscription =
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& topic : topics) {
    rd_kafka_topic_partition_list_add(subscription, topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, subscription);
  rd_kafka_topic_partition_list_destroy(subscription);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
    rd_kafka_queue_destroy(queue_);
    rd_kafka_destroy(consumer_);
    obs::forget_kafka_client(consumer_);
    consumer_ = nullptr;
    throw std::runtime_error(std::string("kafka subscribe: ") + rd_kafka_err2str(err));
  }
}

std::map<std::string, std::string> KafkaSource::effective_properties() const {
  return util::effective_kafka_properties(consumer_);
}

KafkaSource::~KafkaSource() {
  if (consumer_ == nullptr) return;
  if (!closed_) close(kCloseInDestructor);
  rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);  // the pipe closes after us
  rd_kafka_queue_destroy(queue_);
  if (close_finished_) {
    rd_kafka_destroy(consumer_);
    obs::forget_kafka_client(consumer_);
    return;
  }
  // The group leave gave up (brokers unreachable). rd_kafka_destroy() would
  // wait, without a bound, for the consumer group to terminate, which needs
  // those brokers (even with RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE: its main
  // thread waits for the pending commit and leave). So the handle is
  // abandoned: its threads end with the process, which is on its way out.
  // Every message it lent us was detached before (PipelineLoop::detach_consumer_messages).
  obs::log(obs::LogLevel::kWarn,
           "kafka consumer abandoned: its group leave did not finish; exiting without it");
}

void KafkaSource::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  ++self->rebalances_;
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    const auto assigned = to_vector(partitions);
    self->track_assignment(assigned, true);
    self->listener_.on_assigned(assigned);
    if (self->start_from_timestamp_ms_) self->position_backfill(partitions);
    if (cooperative) {
      if (rd_kafka_error_t* error = rd_kafka_incremental_assign(rk, partitions)) {
        obs::log(obs::LogLevel::kError, "kafka incremental assign failed",
                 {{"error", rd_kafka_error_name(error)}});
        rd_kafka_error_destroy(error);
      }
    } else {
      rd_kafka_assign(rk, partitions);
    }
    // Partitions joining while the pipeline is paused must not start fetching.
    if (self->paused_) rd_kafka_pause_partitions(rk, partitions);
    return;
  }
  // Revoke (or lost): drain and commit first, release after.
  const bool lost = rd_kafka_assignment_lost(rk) != 0;
  const auto revoked = to_vector(partitions);
  if (self->metrics_ != nullptr) {
    (lost ? self->metrics_->rebalance_lost : self->metrics_->rebalance_revoke).Increment();
  }
  self->listener_.on_revoking(revoked, lost);
  self->track_assignment(revoked, false);
  if (cooperative) {
    if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk, partitions)) {
      obs::log(obs::LogLevel::kError, "kafka incremental unassign failed",
               {{"error", rd_kafka_error_name(error)}});
      rd_kafka_error_destroy(error);
    }
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

void KafkaSource::position_backfill(rd_kafka_topic_partition_list_t* partitions) {
  // Two blocking broker round trips inside the rebalance callback: only on
  // assignment, and the partitions fetch nothing until they are assigned.
  constexpr std::chrono::milliseconds kLookupTimeout{10000};
  const auto starts = seek_unstarted_to_timestamp(consumer_, *partitions, *start_from_timestamp_ms_,
                                                  offsets_for_times_, kLookupTimeout);
  for (const auto& start : starts) {
    const bool failed = start.origin == "lookup_failed";
    obs::log(failed ? obs::LogLevel::kError : obs::LogLevel::kInfo,
             failed ? "back-fill start offset lookup failed; the partition starts at its "
                      "committed offset, else at its beginning (auto.offset.reset)"
                    : "back-fill partition start",
             {{"topic", start.topic},
              {"partition", std::to_string(start.partition)},
              {"from", start.origin},
              {"offset", start.origin == "timestamp" ? std::to_string(*start.offset) : start.origin}});
  }
}

void KafkaSource::track_assignment(const std::vector<TopicPartition>& partitions, bool assigned) {
  assigned_count_ += assigned ? static_cast<int64_t>(partitions.size())
                              : -static_cast<int64_t>(partitions.size());
  if (assigned_count_ < 0) assigned_count_ = 0;
  if (metrics_ == nullptr) return;
  if (assigned) metrics_->rebalance_assign.Increment();
  for (const auto& tp : partitions) {
    if (assigned) {
      metrics_->add_partition(tp.topic, tp.partition);
    } else {
      metrics_->remove_partition(tp.topic, tp.partition);
      lag_.forget(tp.topic, tp.partition);
    }
  }
  metrics_->assigned_partitions.Set(static_cast<double>(assigned_count_));
}

int KafkaSource::on_statistics(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  const auto now = std::chrono::steady_clock::now();
  for (const auto& stats : parse_partition_statistics(std::string_view(json, json_len))) {
    // Statistics list every partition of the subscribed topics; only ours
    // have series.
    obs::PartitionMetrics* partition = self->metrics_->partition(stats.topic, stats.partition);
    if (partition == nullptr) continue;
    const auto seconds = self->lag_.update(stats, now);
    if (!seconds) continue;
    partition->lag->Set(static_cast<double>(stats.consumer_lag));
    partition->lag_seconds->Set(*seconds);
  }
  return 0;  // librdkafka frees `json`
}

void KafkaSource::on_commit(rd_kafka_t*, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  // Called for every commit, periodic or synchronous (librdkafka posts the
  // result of each to this callback), so failures are counted here once.
  auto* self = static_cast<KafkaSource*>(opaque);
  rd_kafka_resp_err_t failure = err == RD_KAFKA_RESP_ERR__NO_OFFSET  // nothing new: not a failure
                                    ? RD_KAFKA_RESP_ERR_NO_ERROR
                                    : err;
  for (int i = 0; offsets != nullptr && i < offsets->cnt; ++i) {
    const auto& tp = offsets->elems[i];
    if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (failure == RD_KAFKA_RESP_ERR_NO_ERROR) failure = tp.err;
      continue;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.offset < 0) continue;
    if (self->metrics_ == nullptr) continue;
    if (obs::PartitionMetrics* partition = self->metrics_->partition(tp.topic, tp.partition)) {
      partition->commit_offset->Set(static_cast<double>(tp.offset));
    }
  }
  if (failure == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  if (self->metrics_ != nullptr) self->metrics_->offset_commit_failures.Increment();
  obs::log(obs::LogLevel::kWarn, "offset commit failed; the offsets stay stored and are retried",
           {{"error", rd_kafka_err2name(failure)}});
}

std::optional<pipeline::ConsumedMessage> KafkaSource::poll() {
  while (true) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, 0);
    if (message == nullptr) return std::nullopt;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      pipeline::ConsumedMessage consumed;
      consumed.topic = rd_kafka_topic_name(message->rkt);
      consumed.partition = message->partition;
      consumed.offset = message->offset;
      if (message->key != nullptr) consumed.key = key_of(*message);
      consumed.value = payload_of(*message);
      consumed.timestamp_ms = rd_kafka_message_timestamp(message, nullptr);
      // The topic name, key and value stay valid while the message lives.
      consumed.owner = pipeline::MessageOwner(message, pipeline::ReleaseMessage{&release_message});
      return consumed;
    }
    ++consumer_errors_;
    if (metrics_ != nullptr) metrics_->consumer_errors.Increment();
    obs::log(obs::LogLevel::kWarn, "kafka consumer error",
             {{"error", rd_kafka_err2name(message->err)}});
    rd_kafka_message_destroy(message);
    // Skipped: look further, so that nullopt keeps meaning "the queue is
    // empty" to an event-driven caller.
  }
}

void KafkaSource::store_offset(const std::string& topic, int32_t partition, int64_t offset) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
  // __STATE (partition no longer assigned) is expected after a revoke
  // (librdkafka PR #3774): the watermark state is discarded with the partition.
  rd_kafka_offsets_store(consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
}

CommitResult KafkaSource::commit(const std::vector<TopicPartitionOffset>& offsets,
                                              std::chrono::milliseconds timeout) {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (!offsets.empty()) {
    list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& tpo : offsets) {
      rd_kafka_topic_partition_list_add(list, tpo.topic.c_str(), tpo.partition)->offset = tpo.offset;
    }
  }
  // Asynchronous, its result on a queue of our own that we wait on with a
  // bound: rd_kafka_commit(..., sync) has no timeout at all.
  rd_kafka_queue_t* replies = rd_kafka_queue_new(consumer_);
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(consumer_, list, replies, nullptr, nullptr);
  if (list != nullptr) rd_kafka_topic_partition_list_destroy(list);
  CommitResult result = CommitResult::kFailed;
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_event_t* event =
        rd_kafka_queue_poll(replies, static_cast<int>(std::max<int64_t>(0, timeout.count())));
    if (event == nullptr) {
      result = CommitResult::kTimedOut;
    } else {
      err = rd_kafka_event_error(event);
      rd_kafka_event_destroy(event);
    }
  }
  // _NO_OFFSET: nothing new to commit; not a failure.
  if (result != CommitResult::kTimedOut &&
      (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET)) {
    result = CommitResult::kCommitted;
  }
  // A late answer finds the queue gone and is dropped by librdkafka.
  rd_kafka_queue_destroy(replies);
  return result;
}

std::vector<TopicPartition> KafkaSource::assignment() const {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(consumer_, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  auto result = to_vector(list);
  rd_kafka_topic_partition_list_destroy(list);
  return result;
}

void KafkaSource::pause_all() {
  if (paused_) return;
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(consumer_, &list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_pause_partitions(consumer_, list);
    rd_kafka_topic_partition_list_destroy(list);
  }
  paused_ = true;
}

void KafkaSource::resume_all() {
  if (!paused_) return;
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(consumer_, &list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_resume_partitions(consumer_, list);
    rd_kafka_topic_partition_list_destroy(list);
  }
  paused_ = false;
}

bool KafkaSource::close(std::chrono::milliseconds timeout) {
  if (consumer_ == nullptr) return true;
  if (closed_) return close_finished_;
  closed_ = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // rd_kafka_consumer_close() blocks until the group is left, which with the
  // brokers unreachable can be forever; its queue form lets us bound it. The
  // final revoke arrives on that queue and is handed to on_rebalance here.
  rd_kafka_queue_t* closing = rd_kafka_queue_new(consumer_);
  if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(consumer_, closing)) {
    obs::log(obs::LogLevel::kWarn, "kafka consumer close failed",
             {{"error", rd_kafka_error_name(error)}});
    rd_kafka_error_destroy(error);
    rd_kafka_queue_destroy(closing);
    return false;
  }
  // Served as events, not callbacks: the queue may also hold messages
  // fetched before the close, which no callback can take
  // (rd_kafka_queue_poll_callback asserts on them). They are dropped, never
  // processed: nothing of theirs is committed, the next owner reads them.
  while (!rd_kafka_consumer_closed(consumer_)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    rd_kafka_event_t* event =
        rd_kafka_queue_poll(closing, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (event == nullptr) continue;
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) {
      on_rebalance(consumer_, rd_kafka_event_error(event),
                   rd_kafka_event_topic_partition_list(event), this);
    }
    rd_kafka_event_destroy(event);
  }
  close_finished_ = rd_kafka_consumer_closed(consumer_) != 0;
  rd_kafka_queue_destroy(closing);
  return close_finished_;
}

}  // namespace cdp_relay::source
