#include "app/pipeline_loop.h"

#include <algorithm>
#include <cstdio>

#include "obs/log.h"

namespace cdp_relay::app {
namespace {

constexpr int kMaxMessagesPerStep = 512;
// Resolved messages behind an unresolved one do not count against
// max_inflight_messages (they hold no bytes), but each still takes a tracker
// entry (~100 B) until the watermark passes it: their number is bounded at
// this multiple of max_inflight_messages, so one event stuck in retries
// cannot let the gap behind it grow without end.
constexpr size_t kWatermarkGapFactor = 10;
// The longest the loop sleeps when nothing wakes it: the liveness heartbeat,
// the gauges and a stop flag set without a signal are at most this late.
// Ten idle turns a second cost about nothing.
constexpr std::chrono::milliseconds kMaxSleep{100};
// Of a drain's time (revoke bound, shutdown grace), the part kept for the
// commit and the group leave that follow it, so that a drain running out its
// time does not leave them none: min(1 s, a quarter).
constexpr std::chrono::milliseconds kMaxLeaveReserve{1000};
// Backpressure first holds: the loop stops taking messages from the
// consumer queue and librdkafka keeps what it prefetched (its own queue
// bounds stop its fetching). Only a hold that lasts this long, because
// nothing resolves (a DLQ outage, an open circuit, retries), becomes a pause
// of the partitions. A pause discards librdkafka's prefetched messages, and
// librdkafka 2.0 takes up to a second after the resume to fetch again, so
// pausing at every crossing of the bound left the destination idle most of
// each second against a slow destination. A hold also stops serving the
// consumer queue, rebalances included: this bounds how late a rebalance is
// served, far below max.poll.interval.ms.
constexpr std::chrono::milliseconds kMaxHold{1000};

Clock::time_point drain_deadline(Clock::time_point now, Clock::time_point end) {
  if (end <= now) return end;
  const auto reserve = std::min<Clock::time_point::duration>(kMaxLeaveReserve, (end - now) / 4);
  return end - reserve;
}

std::chrono::milliseconds time_left(Clock::time_point now, Clock::time_point end) {
  return end <= now ? std::chrono::milliseconds(0)
                    : std::chrono::duration_cast<std::chrono::milliseconds>(end - now);
}

std::string_view describe(source::KafkaSource::CommitResult result) {
  return result == source::KafkaSource::CommitResult::kTimedOut ? "timed out" : "failed";
}

}  // namespace

PipelineLoop::PipelineLoop(const RelayConfig& config, route::TransformStage& transform,
                           std::vector<OutputRoute> routes, kafka_sinks::KafkaWriter& dead_letters,
                           Clock& clock, LoopObservability observability)
    : config_(config),
      transform_(transform),
      routes_(std::move(routes)),
      dead_letters_(dead_letters),
      clock_(clock),
      obs_(observability),
      item_decoder_(config.limits) {
  for (const auto& source : config.sources) {
    SourceTopicState& state = topics_[source.topic];
    state.format = source.format;
    if (obs_.source != nullptr) state.metrics = obs_.source->topic(source.topic);
  }
}

decode::InputFormat PipelineLoop::format_of(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? decode::InputFormat::kAuto : it->second.format;
}

void PipelineLoop::publish_health() {
  if (obs_.health == nullptr) return;
  obs_.health->heartbeat(clock_.now());
  for (const auto& route : routes_) {
    if (route.health == nullptr || route.engine == nullptr) continue;
    route.health->circuit_open_ms.store(route.engine->circuit_open_for().count(),
                                        std::memory_order_release);
    route.health->auth_failing.store(route.engine->auth_failing(), std::memory_order_release);
  }
}

void PipelineLoop::on_assigned(const std::vector<source::TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    auto& tracker = trackers_[{tp.topic, tp.partition}];
    if (!tracker) tracker = std::make_shared<source::PartitionTracker>(tp.topic, tp.partition);
  }
  // An assignment, even an empty one (more members than partitions), means
  // the consumer is in the group: ready to take work.
  if (obs_.health != nullptr) {
    obs_.health->set_in_group(true);
    obs_.health->set_assigned_partitions(static_cast<int64_t>(trackers_.size()));
  }
}

void PipelineLoop::on_revoking(const std::vector<source::TopicPartition>& partitions, bool lost) {
  std::vector<std::shared_ptr<source::PartitionTracker>> revoked;
  for (const auto& tp : partitions) {
    auto it = trackers_.find({tp.topic, tp.partition});
    if (it != trackers_.end()) revoked.push_back(it->second);
  }
  if (!lost) {
    // Drain what we can within the bound, then commit what is resolved. A
    // lost partition may already belong to another member: commit nothing.
    auto bound = clock_.now() +
                 std::chrono::milliseconds(config_.pipeline.rebalance_drain_timeout_ms);
    if (shutdown_deadline_) bound = std::min(bound, *shutdown_deadline_);
    drain(revoked, drain_deadline(clock_.now(), bound));
    std::vector<source::TopicPartitionOffset> offsets;
    for (const auto& tracker : revoked) {
      if (auto offset = tracker->committable()) {
        source_->store_offset(tracker->topic(), tracker->partition(), *offset);
        tracker->mark_stored(*offset);
        offsets.push_back({tracker->topic(), tracker->partition(), *offset});
      }
    }
    if (!offsets.empty()) {
      const auto result = source_->commit(offsets, time_left(clock_.now(), bound));
      if (result == source::KafkaSource::CommitResult::kCommitted) {
        ++counters_.offsets_committed;
      } else {
        // Not loss: the new owner resumes from the last successful commit, so
        // the gap is redelivered (duplicates, never gaps). Logged because it
        // makes duplicates grow.
        obs::log(obs::LogLevel::kWarn, "commit on revoke not made; the new owner will redeliver",
                 {{"partitions", std::to_string(offsets.size())}, {"reason", describe(result)}});
      }
    }
  }
  // From here on the partitions' offsets are never stored again; late
  // completions still find their tracker through OutputRef and are ignored.
  std::erase_if(revoked_inflight_, [](const auto& weak) { return weak.expired(); });
  for (const auto& tracker : revoked) {
    tracker->revoke();
    trackers_.erase({tracker->topic(), tracker->partition()});
    if (tracker->inflight_messages() > 0) revoked_inflight_.push_back(tracker);
  }
  if (obs_.health != nullptr) {
    // A lost assignment means the group moved on without us: not in it until
    // the next assignment.
    if (lost) obs_.health->set_in_group(false);
    obs_.health->set_assigned_partitions(static_cast<int64_t>(trackers_.size()));
  }
}

void PipelineLoop::drain(const std::vector<std::shared_ptr<source::PartitionTracker>>& trackers,
                         Clock::time_point deadline) {
  auto pending = [&] {
    for (const auto& tracker : trackers) {
      if (tracker->inflight_messages() > 0) return true;
    }
    return false;
  };
  while (true) {
    service_sinks();
    if (!pending() || clock_.now() >= deadline) return;
    wait_for_work(false, deadline);
  }
}

void PipelineLoop::handle_message(source::KafkaMessage owned) {
  const rd_kafka_message_t& message = *owned;
  const std::string topic = rd_kafka_topic_name(message.rkt);
  auto it = trackers_.find({topic, message.partition});
  if (it == trackers_.end()) {
    // A message of a partition we do not (or no longer) own: leave it to its
    // owner; our committed offsets never pass it.
    return;
  }
  const std::shared_ptr<source::PartitionTracker>& tracker = it->second;
  if (tracker->find(message.offset) != nullptr) return;  // already in flight (re-fetch)
  ++counters_.messages_consumed;
  const auto topic_it = topics_.find(topic);
  const obs::TopicMetrics* topic_metrics =
      topic_it == topics_.end() ? nullptr : &topic_it->second.metrics;

  source::InflightMessage& inflight = tracker->track(message.offset);
  const std::string_view value = source::payload_of(message);
  inflight.value = value;
  inflight.key = source::key_of(message);
  inflight.has_key = message.key != nullptr;
  rd_kafka_timestamp_type_t ts_type;
  inflight.kafka_timestamp_ms = rd_kafka_message_timestamp(&message, &ts_type);
  inflight.message = std::move(owned);  // key and value stay valid: they view its bytes

  Origin origin;
  origin.topic = tracker->topic();
  origin.partition = message.partition;
  origin.offset = message.offset;
  origin.kafka_timestamp_ms = inflight.kafka_timestamp_ms;
  const auto format = topic_it == topics_.end() ? decode::InputFormat::kAuto : topic_it->second.format;
  transform_.process(value, format, origin, result_);
  counters_.events_decoded += result_.decoded.events.size();
  if (topic_metrics != nullptr && topic_metrics->events != nullptr) {
    topic_metrics->messages->Increment();
    // Input events: each decoded event and each rejected input counts once.
    topic_metrics->events->Increment(
        static_cast<double>(result_.decoded.events.size() + result_.decoded.rejections.size()));
  }

  OutputRef ref{tracker, message.offset, 0};
  for (auto& rejection : result_.decoded.rejections) {
    kafka_sinks::DeadLetter letter;
    letter.value = rejection.whole_message ? std::string(inflight.value) : std::move(rejection.value);
    if (inflight.has_key) letter.key = std::string(inflight.key);
    letter.error = std::move(rejection.error);
    if (obs_.transform != nullptr) {
      obs_.transform->invalid(letter.error.reason).Increment();
      obs_.transform->dead_lettered(letter.error.reason).Increment();
    }
    ref.index = rejection.index;
    dead_letter(std::move(letter), ref);
  }
  for (size_t d = 0; d < routes_.size(); ++d) {
    const route::DestinationOutput& output = result_.outputs[d];
    counters_.events_skipped += output.skipped;
    counters_.events_filtered += output.filtered;
    if (obs::RouteMetrics* metrics = routes_[d].metrics) {
      for (size_t i = 0; i < output.decisions.size(); ++i) {
        if (output.decisions[i] > 0 && metrics->not_routed[i] != nullptr) {
          metrics->not_routed[i]->Increment(static_cast<double>(output.decisions[i]));
        }
      }
      if (!output.events.empty()) metrics->routed.Increment(static_cast<double>(output.events.size()));
      if (output.dropped_values > 0) {
        metrics->values_dropped.Increment(static_cast<double>(output.dropped_values));
      }
    }
    for (const auto& slice : output.events) {
      const CanonicalEvent& event = result_.decoded.events[slice.event_index];
      ref.index = event.origin.index;
      tracker->add_output(message.offset);
      if (routes_[d].engine != nullptr) {
        // End-to-end latency runs from the event's own time, or the Kafka
        // timestamp when the event has none.
        const int64_t event_time_ms =
            event.timestamp_ms > 0 ? event.timestamp_ms : origin.kafka_timestamp_ms;
        routes_[d].engine->submit(delivery::DeliveryItem{ref,
                                                         payload_buffers_.take(output.bytes(slice)),
                                                         std::string(event.user_key()),
                                                         event_time_ms});
      } else {
        kafka_sinks::OutgoingRecord record;
        record.topic = routes_[d].normalized_topic;
        record.key = std::string(event.user_key());
        record.value = std::string(output.bytes(slice));
        record.ref = ref;
        routes_[d].normalized->write(std::move(record));
        ++counters_.normalized_written;
      }
    }
  }
  const int64_t offset = message.offset;  // `message` dies with the last output
  tracker->seal(offset);
  // Still waiting for an output: keep a copy of its bytes rather than the
  // librdkafka buffer they sit in (InflightMessage::detach_from_consumer).
  if (source::InflightMessage* unresolved = tracker->find(offset)) {
    unresolved->detach_from_consumer();
  }
}

void PipelineLoop::dead_letter(kafka_sinks::DeadLetter letter, const OutputRef& ref) {
  letter.source_topic = ref.partition->topic();
  letter.source_partition = ref.partition->partition();
  letter.source_offset = ref.offset;
  ++counters_.events_dead_lettered;
  ++dlq_by_reason_[std::string(to_string(letter.error.reason))];
  // Rate-limited (obs/log.h). The message and value are event data: not logged.
  obs::log(obs::LogLevel::kWarn, "event dead-lettered",
           {{"stage", to_string(letter.error.stage)},
            {"reason", to_string(letter.error.reason)},
            {"destination", letter.destination.empty() ? "none" : letter.destination},
            {"topic", letter.source_topic},
            {"partition", std::to_string(letter.source_partition)},
            {"offset", std::to_string(letter.source_offset)}});
  ref.partition->add_output(ref.offset);
  kafka_sinks::OutgoingRecord record;
  record.topic = config_.dead_letter.topic;
  record.key = std::move(letter.key);
  record.headers = kafka_sinks::dead_letter_headers(letter);
  record.value = std::move(letter.value);
  record.ref = ref;
  dead_letters_.write(std::move(record));
}

void PipelineLoop::dead_letter_delivery_failure(delivery::DeliveryOutcome& outcome,
                                                const std::string& destination) {
  const OutputRef& ref = outcome.item.ref;
  kafka_sinks::DeadLetter letter;
  letter.error = std::move(outcome.error);
  letter.destination = destination;  // cdp.error.destination (README "Dead-letter topic")
  letter.first_attempt_ms = outcome.first_attempt_ms;
  letter.last_attempt_ms = outcome.last_attempt_ms;
  // The message is still in flight (this output holds it), so its bytes are here.
  if (source::InflightMessage* message = ref.partition->find(ref.offset)) {
    const auto format = format_of(ref.partition->topic());
    auto item = item_decoder_.item_value(message->value, format, ref.index);
    letter.value = item ? std::move(*item) : std::string(message->value);
    if (message->has_key) letter.key = std::string(message->key);
  }
  dead_letter(std::move(letter), ref);
}

void PipelineLoop::resolve(const OutputRef& ref) { ref.partition->resolve_output(ref.offset); }

void PipelineLoop::service_sinks() {
  for (const OutputRoute& route : routes_) {
    delivery::DeliveryEngine* engine = route.engine;
    if (engine == nullptr) continue;
    outcomes_.clear();
    engine->poll(std::chrono::milliseconds(0), outcomes_);
    for (auto& outcome : outcomes_) {
      if (outcome.delivered) {
        ++counters_.events_delivered;
      } else {
        // The DLQ record becomes an output of the message before the
        // delivery output resolves: the watermark cannot slip past it.
        dead_letter_delivery_failure(outcome, engine->destination());
      }
      resolve(outcome.item.ref);
      payload_buffers_.give(std::move(outcome.item.payload));
    }
  }
  acked_.clear();
  dead_letters_.poll(acked_);
  for (const auto& route : routes_) {
    if (route.normalized != nullptr) route.normalized->poll(acked_);
  }
  for (const auto& ref : acked_) resolve(ref);
  publish_health();
}

bool PipelineLoop::consume() {
  source_->begin_serving();
  for (int consumed = 0; consumed < kMaxMessagesPerStep; ++consumed) {
    source::KafkaMessage message = source_->poll(std::chrono::milliseconds(0));
    if (!message) return false;  // the queue is empty: its pipe signals the next arrival
    handle_message(std::move(message));
    // Over a bound (backpressure): let the sinks catch up before taking more.
    if (held_since_ || source_->paused()) return true;
  }
  return true;
}

void PipelineLoop::add_sink_waits(util::WaitSet& wait) const {
  for (const OutputRoute& route : routes_) {
    if (route.engine != nullptr) route.engine->add_wait(wait);
    if (route.normalized != nullptr) route.normalized->add_wait(wait);
  }
  dead_letters_.add_wait(wait);
}

void PipelineLoop::wait_for_work(bool with_source, std::optional<Clock::time_point> deadline) {
  waits_.reset(clock_.now());
  if (with_source) source_->add_wait(waits_);
  add_sink_waits(waits_);
  if (deadline) waits_.wake_at(*deadline);
  waits_.wait(kMaxSleep);
}

void PipelineLoop::store_offsets() {
  for (auto& [key, tracker] : trackers_) {
    if (!tracker->has_new_committable()) continue;
    const int64_t offset = *tracker->committable();
    source_->store_offset(tracker->topic(), tracker->partition(), offset);
    tracker->mark_stored(offset);
  }
}

void PipelineLoop::detach_consumer_messages() {
  for (auto& [key, tracker] : trackers_) tracker->detach_from_consumer();
  for (const auto& weak : revoked_inflight_) {
    if (auto tracker = weak.lock()) tracker->detach_from_consumer();
  }
}

size_t PipelineLoop::inflight_messages() const {
  size_t total = 0;
  for (const auto& [key, tracker] : trackers_) total += tracker->inflight_messages();
  return total;
}

size_t PipelineLoop::inflight_bytes() const {
  size_t total = 0;
  for (const auto& [key, tracker] : trackers_) total += tracker->inflight_bytes();
  return total;
}

size_t PipelineLoop::tracked_messages() const {
  size_t total = 0;
  for (const auto& [key, tracker] : trackers_) total += tracker->tracked_messages();
  return total;
}

void PipelineLoop::apply_backpressure() {
  const size_t messages = inflight_messages();
  const size_t bytes = inflight_bytes();
  const size_t gap = tracked_messages();
  const auto& limits = config_.pipeline;
  const size_t max_gap = kWatermarkGapFactor * limits.max_inflight_messages;
  const bool over = messages >= limits.max_inflight_messages ||
                    bytes >= limits.max_inflight_bytes || gap >= max_gap;
  if (source_->paused()) {
    // Resuming costs a refetch: wait until every bound is down to half.
    if (messages <= limits.max_inflight_messages / 2 && bytes <= limits.max_inflight_bytes / 2 &&
        gap <= max_gap / 2) {
      source_->resume_all();
    }
  } else if (over) {
    const auto now = clock_.now();
    if (!held_since_) {
      held_since_ = now;
      ++counters_.pauses;
    } else if (now - *held_since_ >= kMaxHold) {
      source_->pause_all();
      held_since_.reset();
    }
  } else {
    held_since_.reset();
  }
  if (obs_.source != nullptr) {
    obs_.source->paused.Set(backpressured() ? 1 : 0);
    obs_.source->inflight_messages.Set(static_cast<double>(messages));
    obs_.source->inflight_bytes.Set(static_cast<double>(bytes));
  }
}

bool PipelineLoop::run(const std::atomic<bool>& stop) {
  if (obs_.health != nullptr) {
    obs_.health->heartbeat(clock_.now());
    obs_.health->set_running(true);
  }
  // One thread, one wait: take what the consumer has, let the sinks act on
  // it, then sleep until the consumer, a sink or a timer has more to do.
  while (!stop.load(std::memory_order_relaxed)) {
    const bool more_input = !held_since_ && consume();
    service_sinks();
    store_offsets();
    apply_backpressure();
    if (!more_input && !stop.load(std::memory_order_relaxed)) {
      // Held: the consumer queue does not wake the loop (it holds work the
      // loop will not take); a resolution does, or the end of the hold.
      if (held_since_) {
        wait_for_work(false, *held_since_ + kMaxHold);
      } else {
        wait_for_work(true, std::nullopt);
      }
    }
  }

  // Shutdown: stop fetching, drain within the grace
  // period, store and commit, then leave the group. Every step is bounded by
  // the deadline: with the brokers unreachable a commit or a group leave
  // never answers, and not committing is safe (the next owner redelivers).
  shutdown_deadline_ = clock_.now() + std::chrono::seconds(config_.shutdown_grace_s);
  source_->pause_all();
  const auto drain_until = drain_deadline(clock_.now(), *shutdown_deadline_);
  while (true) {
    service_sinks();
    store_offsets();
    if (inflight_messages() == 0 || clock_.now() >= drain_until) break;
    wait_for_work(false, drain_until);
  }
  const bool drained = inflight_messages() == 0;
  store_offsets();
  const auto result = source_->commit({}, time_left(clock_.now(), *shutdown_deadline_));
  if (result == source::KafkaSource::CommitResult::kCommitted) {
    ++counters_.offsets_committed;
  } else {
    // As on revoke: not loss, the next owner resumes from the last commit.
    obs::log(obs::LogLevel::kWarn, "commit at shutdown not made; the next owner will redeliver",
             {{"reason", describe(result)}});
  }
  // Runs on_revoking for what is left, bounded by the same deadline.
  if (!source_->close(time_left(clock_.now(), *shutdown_deadline_))) {
    obs::log(obs::LogLevel::kWarn,
             "leaving the consumer group timed out; the group rebalances after the session "
             "timeout");
  }
  detach_consumer_messages();
  if (obs_.health != nullptr) {
    obs_.health->set_running(false);
    obs_.health->set_in_group(false);
  }
  return drained;
}

}  // namespace cdp_relay::app
