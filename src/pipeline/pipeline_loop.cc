#include "pipeline/pipeline_loop.h"

#include <algorithm>

#include "obs/health.h"
#include "obs/log.h"
#include "obs/metrics.h"

namespace cdp_relay::pipeline {
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

std::string_view describe(CommitResult result) {
  return result == CommitResult::kTimedOut ? "timed out" : "failed";
}

}  // namespace

PipelineLoop::PipelineLoop(LoopSettings settings, route::TransformStage& transform,
                           std::vector<Route> routes, DeadLetterRoute dead_letters, Clock& clock,
                           LoopObservability observability)
    : settings_(std::move(settings)),
      transform_(transform),
      routes_(std::move(routes)),
      dead_letters_(std::move(dead_letters)),
      clock_(clock),
      obs_(observability),
      item_decoder_(settings_.limits) {
  for (const auto& [topic, format] : settings_.topic_formats) {
    SourceTopicState& state = topics_[topic];
    state.format = format;
    if (obs_.source != nullptr) {
      const obs::TopicMetrics metrics = obs_.source->topic(topic);
      state.messages = metrics.messages;
      state.events = metrics.events;
    }
  }
}

PipelineLoop::~PipelineLoop() = default;

decode::InputFormat PipelineLoop::format_of(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? decode::InputFormat::kAuto : it->second.format;
}

void PipelineLoop::publish_health() {
  if (obs_.health == nullptr) return;
  obs_.health->heartbeat(clock_.now());
  for (const auto& route : routes_) {
    if (route.health == nullptr) continue;
    const SinkHealth health = route.sink->health();
    route.health->circuit_open_ms.store(health.circuit_open_for.count(), std::memory_order_release);
    route.health->auth_failing.store(health.auth_failing, std::memory_order_release);
  }
}

void PipelineLoop::on_assigned(const std::vector<TopicPartition>& partitions) {
  last_partition_ = {};
  for (const auto& tp : partitions) {
    auto& tracker = trackers_[{tp.topic, tp.partition}];
    if (!tracker) tracker = std::make_shared<PartitionTracker>(tp.topic, tp.partition);
  }
  // An assignment, even an empty one (more members than partitions), means
  // the consumer is in the group: ready to take work.
  if (obs_.health != nullptr) {
    obs_.health->set_in_group(true);
    obs_.health->set_assigned_partitions(static_cast<int64_t>(trackers_.size()));
  }
}

void PipelineLoop::on_revoking(const std::vector<TopicPartition>& partitions, bool lost) {
  last_partition_ = {};
  std::vector<std::shared_ptr<PartitionTracker>> revoked;
  for (const auto& tp : partitions) {
    auto it = trackers_.find({tp.topic, tp.partition});
    if (it != trackers_.end()) revoked.push_back(it->second);
  }
  if (!lost) {
    // Drain what we can within the bound, then commit what is resolved. A
    // lost partition may already belong to another member: commit nothing.
    auto bound = clock_.now() +
                 std::chrono::milliseconds(settings_.bounds.rebalance_drain_timeout_ms);
    if (shutdown_deadline_) bound = std::min(bound, *shutdown_deadline_);
    drain(revoked, drain_deadline(clock_.now(), bound));
    std::vector<TopicPartitionOffset> offsets;
    for (const auto& tracker : revoked) {
      if (auto offset = tracker->committable()) {
        source_->store_offset(tracker->topic(), tracker->partition(), *offset);
        tracker->mark_stored(*offset);
        offsets.push_back({tracker->topic(), tracker->partition(), *offset});
      }
    }
    if (!offsets.empty()) {
      const auto result = source_->commit(offsets, time_left(clock_.now(), bound));
      if (result == CommitResult::kCommitted) {
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

void PipelineLoop::drain(const std::vector<std::shared_ptr<PartitionTracker>>& trackers,
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

PipelineLoop::ConsumingPartition PipelineLoop::consuming_partition(std::string_view topic,
                                                                  int32_t partition) {
  if (last_partition_.tracker != nullptr && (*last_partition_.tracker)->partition() == partition &&
      (*last_partition_.tracker)->topic() == topic) {
    return last_partition_;
  }
  const std::string name(topic);
  auto it = trackers_.find({name, partition});
  if (it == trackers_.end()) return {};
  const auto topic_it = topics_.find(name);
  last_partition_.tracker = &it->second;
  last_partition_.topic = topic_it == topics_.end() ? nullptr : &topic_it->second;
  return last_partition_;
}

void PipelineLoop::handle_message(ConsumedMessage message) {
  const ConsumingPartition partition = consuming_partition(message.topic, message.partition);
  if (partition.tracker == nullptr) {
    // A message of a partition we do not (or no longer) own: leave it to its
    // owner; our committed offsets never pass it.
    return;
  }
  PartitionTracker* tracker = partition.tracker->get();
  if (tracker->find(message.offset) != nullptr) return;  // already in flight (re-fetch)
  ++counters_.messages_consumed;
  const SourceTopicState* topic_state = partition.topic;

  InflightMessage& inflight = tracker->track(message.offset);
  const std::string_view value = message.value;
  inflight.value = value;
  inflight.key = message.key.value_or(std::string_view());
  inflight.has_key = message.key.has_value();
  inflight.kafka_timestamp_ms = message.timestamp_ms;
  inflight.owner = std::move(message.owner);  // key and value stay valid: they view its bytes

  Origin origin;
  origin.topic = tracker->topic();
  origin.partition = message.partition;
  origin.offset = message.offset;
  origin.kafka_timestamp_ms = inflight.kafka_timestamp_ms;
  const auto format = topic_state == nullptr ? decode::InputFormat::kAuto : topic_state->format;
  transform_.process(value, format, origin, result_);
  counters_.events_decoded += result_.decoded.events.size();
  if (topic_state != nullptr && topic_state->events != nullptr) {
    topic_state->messages->Increment();
    // Input events: each decoded event and each rejected input counts once.
    topic_state->events->Increment(
        static_cast<double>(result_.decoded.events.size() + result_.decoded.rejections.size()));
  }

  OutputRef ref{*partition.tracker, message.offset, 0};
  for (auto& rejection : result_.decoded.rejections) {
    DeadLetter letter;
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
    count_route(routes_[d], output);
    for (const auto& slice : output.events) {
      const CanonicalEvent& event = result_.decoded.events[slice.event_index];
      ref.index = event.origin.index;
      tracker->add_output(message.offset);
      Output out;
      out.ref = ref;
      out.payload = payload_buffers_.take(output.bytes(slice));
      out.key.emplace(event.user_key());
      // End-to-end latency runs from the event's own time, or the Kafka
      // timestamp when the event has none.
      out.event_time_ms = event.timestamp_ms > 0 ? event.timestamp_ms : origin.kafka_timestamp_ms;
      routes_[d].sink->submit(std::move(out));
    }
  }
  tracker->seal(message.offset);
}

void PipelineLoop::count_route(const Route& route, const route::DestinationOutput& output) {
  counters_.events_skipped += output.skipped;
  counters_.events_filtered += output.filtered;
  obs::RouteMetrics* metrics = route.metrics;
  if (metrics == nullptr) return;
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

void PipelineLoop::dead_letter(DeadLetter letter, const OutputRef& ref) {
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
  Output record;
  record.ref = ref;
  record.headers = dead_letters_.headers(letter);
  record.key = std::move(letter.key);
  record.payload = std::move(letter.value);
  dead_letters_.sink->submit(std::move(record));
}

void PipelineLoop::dead_letter_delivery_failure(Outcome& outcome, const std::string& destination) {
  const OutputRef& ref = outcome.ref;
  DeadLetter letter;
  letter.error = std::move(outcome.error);
  letter.destination = destination;  // cdp.error.destination (README "Dead-letter topic")
  letter.first_attempt_ms = outcome.first_attempt_ms;
  letter.last_attempt_ms = outcome.last_attempt_ms;
  // The message is still in flight (this output holds it), so its bytes are here.
  if (InflightMessage* message = ref.partition->find(ref.offset)) {
    const auto format = format_of(ref.partition->topic());
    auto item = item_decoder_.item_value(message->value, format, ref.index);
    letter.value = item ? std::move(*item) : std::string(message->value);
    if (message->has_key) letter.key = std::string(message->key);
  }
  dead_letter(std::move(letter), ref);
}

void PipelineLoop::handle_outcome(Outcome& outcome, const Sink& sink) {
  switch (outcome.kind) {
    case Outcome::Kind::kDelivered:
      ++counters_.events_delivered;
      break;
    case Outcome::Kind::kAcknowledged:
      break;
    case Outcome::Kind::kFailed:
      // The DLQ record becomes an output of the message before the failed
      // output resolves: the watermark cannot slip past it.
      dead_letter_delivery_failure(outcome, sink.name());
      break;
  }
  outcome.ref.partition->resolve_output(outcome.ref.offset);
  payload_buffers_.give(std::move(outcome.payload));
}

void PipelineLoop::service_sinks() {
  auto serve = [this](Sink& sink) {
    outcomes_.clear();
    sink.poll(outcomes_);
    for (Outcome& outcome : outcomes_) handle_outcome(outcome, sink);
  };
  for (const Route& route : routes_) serve(*route.sink);
  // Last: the dead letters the routes' failures just produced are sent now.
  serve(*dead_letters_.sink);
  publish_health();
}

bool PipelineLoop::consume() {
  source_->begin_serving();
  for (int consumed = 0; consumed < kMaxMessagesPerStep; ++consumed) {
    std::optional<ConsumedMessage> message = source_->poll();
    if (!message) return false;  // the queue is empty: it signals the next arrival
    handle_message(std::move(*message));
    // Over a bound (backpressure): let the sinks catch up before taking more.
    if (held_since_ || source_->paused()) return true;
  }
  return true;
}

void PipelineLoop::wait_for_work(bool with_source, std::optional<Clock::time_point> deadline) {
  waits_.reset(clock_.now());
  if (with_source) source_->add_wait(waits_);
  for (const Route& route : routes_) route.sink->add_wait(waits_);
  dead_letters_.sink->add_wait(waits_);
  if (deadline) waits_.wake_at(*deadline);
  if (waiter_) {
    waiter_(waits_, kMaxSleep);
  } else {
    waits_.wait(kMaxSleep);
  }
}

void PipelineLoop::store_offsets() {
  for (auto& [key, tracker] : trackers_) {
    if (!tracker->has_new_committable()) continue;
    const int64_t offset = *tracker->committable();
    source_->store_offset(tracker->topic(), tracker->partition(), offset);
    tracker->mark_stored(offset);
  }
}

template <typename Visit>
void PipelineLoop::for_each_tracker(Visit&& visit) {
  for (auto& [key, tracker] : trackers_) visit(*tracker);
  for (const auto& weak : revoked_inflight_) {
    if (auto tracker = weak.lock()) visit(*tracker);
  }
}

void PipelineLoop::end_buffer_leases() {
  const auto now = clock_.now();
  if (now < next_lease_sweep_) return;
  next_lease_sweep_ = now + settings_.buffer_lease;
  for_each_tracker([](PartitionTracker& tracker) { tracker.detach_held_since_last_sweep(); });
}

void PipelineLoop::detach_consumer_messages() {
  for_each_tracker([](PartitionTracker& tracker) { tracker.detach_from_consumer(); });
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
  const auto& limits = settings_.bounds;
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
    end_buffer_leases();
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
  shutdown_deadline_ = clock_.now() + settings_.shutdown_grace;
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
  if (result == CommitResult::kCommitted) {
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

}  // namespace cdp_relay::pipeline
