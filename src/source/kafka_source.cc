#include "source/kafka_source.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "obs/log.h"
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

void set_or_throw(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  util::set_kafka_property(conf, key, value, "kafka.consumer");
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

  char errstr[512];
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (consumer_ == nullptr) throw std::runtime_error(std::string("kafka consumer: ") + errstr);
  rd_kafka_poll_set_consumer(consumer_);

  rd_kafka_topic_partition_list_t* subscription =
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& topic : topics) {
    rd_kafka_topic_partition_list_add(subscription, topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, subscription);
  rd_kafka_topic_partition_list_destroy(subscription);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
    throw std::runtime_error(std::string("kafka subscribe: ") + rd_kafka_err2str(err));
  }
}

std::map<std::string, std::string> KafkaSource::effective_properties() const {
  return util::effective_kafka_properties(consumer_);
}

KafkaSource::~KafkaSource() {
  if (consumer_ == nullptr) return;
  if (!closed_) rd_kafka_consumer_close(consumer_);
  rd_kafka_destroy(consumer_);
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
        std::fprintf(stderr, "kafka incremental_assign: %s\n", rd_kafka_error_string(error));
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
      std::fprintf(stderr, "kafka incremental_unassign: %s\n", rd_kafka_error_string(error));
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

KafkaMessage KafkaSource::poll(std::chrono::milliseconds timeout) {
  rd_kafka_message_t* message =
      rd_kafka_consumer_poll(consumer_, static_cast<int>(timeout.count()));
  if (message == nullptr) return nullptr;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++consumer_errors_;
    if (metrics_ != nullptr) metrics_->consumer_errors.Increment();
    obs::log(obs::LogLevel::kWarn, "kafka consumer error",
             {{"error", rd_kafka_err2name(message->err)}});
    rd_kafka_message_destroy(message);
    return nullptr;
  }
  return KafkaMessage(message);
}

void KafkaSource::store_offset(const std::string& topic, int32_t partition, int64_t offset) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = offset;
  // __STATE (partition no longer assigned) is expected after a revoke
  // (librdkafka PR #3774): the watermark state is discarded with the partition.
  rd_kafka_offsets_store(consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
}

bool KafkaSource::commit_sync(const std::vector<TopicPartitionOffset>& offsets) {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (!offsets.empty()) {
    list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& tpo : offsets) {
      rd_kafka_topic_partition_list_add(list, tpo.topic.c_str(), tpo.partition)->offset = tpo.offset;
    }
  }
  const rd_kafka_resp_err_t err = rd_kafka_commit(consumer_, list, 0 /* synchronous */);
  if (list != nullptr) rd_kafka_topic_partition_list_destroy(list);
  // _NO_OFFSET: nothing new to commit; not a failure.
  return err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET;
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

void KafkaSource::close() {
  if (closed_ || consumer_ == nullptr) return;
  closed_ = true;
  rd_kafka_consumer_close(consumer_);
}

}  // namespace cdp_relay::source
