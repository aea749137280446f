#include "obs/metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <limits>
#include <sstream>

#include "obs/metric_names.h"

namespace cdp_relay::obs {
namespace {

constexpr std::string_view kNoDestination = "none";

template <typename Builder>
auto& register_family(Builder builder, const metric::Spec& spec, prometheus::Registry& registry) {
  return builder.Name(std::string(spec.name)).Help(std::string(spec.help)).Register(registry);
}

bool is_decode_reason(Reason reason) {
  return static_cast<size_t>(reason) < static_cast<size_t>(Reason::kRejectedByDestination);
}

}  // namespace

// --- HistogramBatch ------------------------------------------------------------

void HistogramBatch::observe(double value) {
  // The bucket Histogram::Observe picks: the first upper bound >= value.
  const auto bound = std::lower_bound(boundaries_.begin(), boundaries_.end(), value);
  counts_[static_cast<size_t>(bound - boundaries_.begin())] += 1;
  sum_ += value;
  ++observations_;
}

void HistogramBatch::flush_to(prometheus::Histogram& histogram) {
  if (observations_ == 0) return;
  histogram.ObserveMultiple(counts_, sum_);
  std::fill(counts_.begin(), counts_.end(), 0.0);
  sum_ = 0;
  observations_ = 0;
}

// --- SourceMetrics -------------------------------------------------------------

SourceMetrics::SourceMetrics(const Families& families)
    : rebalance_assign(families.rebalances->Add({{"event", "assign"}})),
      rebalance_revoke(families.rebalances->Add({{"event", "revoke"}})),
      rebalance_lost(families.rebalances->Add({{"event", "lost"}})),
      assigned_partitions(families.assigned_partitions->Add({})),
      consumer_errors(families.consumer_errors->Add({})),
      offset_commit_failures(families.offset_commit_failures->Add({})),
      paused(families.consumer_paused->Add({})),
      inflight_messages(families.inflight_messages->Add({})),
      inflight_bytes(families.inflight_bytes->Add({})),
      families_(families) {}

TopicMetrics SourceMetrics::topic(const std::string& topic) {
  return TopicMetrics{&families_.messages_consumed->Add({{"topic", topic}}),
                      &families_.events_consumed->Add({{"topic", topic}})};
}

PartitionMetrics& SourceMetrics::add_partition(const std::string& topic, int32_t partition) {
  auto& entry = partitions_[{topic, partition}];
  if (entry.lag == nullptr) {
    const prometheus::Labels labels{{"topic", topic}, {"partition", std::to_string(partition)}};
    entry.lag = &families_.consumer_lag->Add(labels);
    entry.lag_seconds = &families_.consumer_lag_seconds->Add(labels);
    entry.commit_offset = &families_.commit_offset->Add(labels);
    // Unknown until the first statistics report / commit: NaN, not a
    // misleading 0 (a 0 lag would read as "caught up").
    const double unknown = std::numeric_limits<double>::quiet_NaN();
    entry.lag->Set(unknown);
    entry.lag_seconds->Set(unknown);
    entry.commit_offset->Set(unknown);
  }
  return entry;
}

void SourceMetrics::remove_partition(const std::string& topic, int32_t partition) {
  auto it = partitions_.find({topic, partition});
  if (it == partitions_.end()) return;
  families_.consumer_lag->Remove(it->second.lag);
  families_.consumer_lag_seconds->Remove(it->second.lag_seconds);
  families_.commit_offset->Remove(it->second.commit_offset);
  partitions_.erase(it);
}

PartitionMetrics* SourceMetrics::partition(const std::string& topic, int32_t partition) {
  auto it = partitions_.find({topic, partition});
  return it == partitions_.end() ? nullptr : &it->second;
}

// --- TransformMetrics ----------------------------------------------------------

TransformMetrics::TransformMetrics(const Families& families) {
  // Decode reasons only: the delivery reasons never come out of decoding.
  // Zero-valued series exist from the start, so rate() has a baseline.
  for (size_t i = 0; i < kReasonCount; ++i) {
    const auto reason = static_cast<Reason>(i);
    if (!is_decode_reason(reason)) continue;
    const std::string name(to_string(reason));
    invalid_[i] = &families.events_invalid->Add({{"reason", name}});
    dead_lettered_[i] = &families.events_dead_lettered->Add(
        {{"destination", std::string(kNoDestination)}, {"reason", name}});
  }
}

// --- RouteMetrics / DeliveryMetrics / KafkaSinkMetrics ---------------------

RouteMetrics::RouteMetrics(const Families& families, const std::string& destination)
    : routed(families.events_routed->Add({{"destination", destination}})),
      values_dropped(families.values_dropped->Add(
          {{"destination", destination}, {"reason", "key_collision"}})) {
  for (size_t i = 0; i < kRouteDecisionCount; ++i) {
    const auto decision = static_cast<RouteDecision>(i);
    if (decision == RouteDecision::kRouted) continue;
    auto* family = is_filter(decision) ? families.events_filtered : families.events_skipped;
    not_routed[i] = &family->Add(
        {{"destination", destination}, {"reason", std::string(to_string(decision))}});
  }
}

DeliveryMetrics::DeliveryMetrics(const Families& families, std::string destination)
    : families_(families),
      destination_(std::move(destination)),
      delivered(families.events_delivered->Add({{"destination", destination_}})),
      retries(families.retries->Add({{"destination", destination_}})),
      request_duration(families.http_request_duration->Add({{"destination", destination_}},
                                                            kHttpDurationBuckets)),
      batch_events(families.batch_events->Add({{"destination", destination_}}, kBatchEventsBuckets)),
      end_to_end_latency(
          families.end_to_end_latency->Add({{"destination", destination_}}, kEndToEndBuckets)),
      inflight_requests(families.inflight_requests->Add({{"destination", destination_}})),
      concurrency_limit(families.concurrency_limit->Add({{"destination", destination_}})),
      circuit_open(families.circuit_open->Add({{"destination", destination_}})),
      auth_failing(families.auth_failing->Add({{"destination", destination_}})),
      pending_events(families.pending_events->Add({{"destination", destination_}})) {
  for (size_t i = 0; i < kReasonCount; ++i) {
    const auto reason = static_cast<Reason>(i);
    if (is_decode_reason(reason)) continue;
    dead_lettered_[i] = &families.events_dead_lettered->Add(
        {{"destination", destination_}, {"reason", std::string(to_string(reason))}});
  }
  for (size_t i = 0; i < kTransportErrorKindCount; ++i) {
    const auto kind = static_cast<TransportErrorKind>(i);
    transport_errors_[i] = &families.transport_errors->Add(
        {{"destination", destination_}, {"kind", std::string(to_string(kind))}});
  }
  // The success series exists from the start: "no 2xx while consuming" alerts
  // need a zero, not an absent series.
  http_response(200);
}

prometheus::Counter& DeliveryMetrics::http_response(int code) {
  auto it = responses_.find(code);
  if (it != responses_.end()) return *it->second;
  auto& counter =
      families_.http_requests->Add({{"destination", destination_}, {"code", std::to_string(code)}});
  responses_.emplace(code, &counter);
  return counter;
}

KafkaSinkMetrics::KafkaSinkMetrics(const Families& families, const std::string& sink)
    : acked(families.kafka_records_acked->Add({{"sink", sink}})),
      produce_errors(families.kafka_produce_errors->Add({{"sink", sink}})),
      pending(families.kafka_pending_records->Add({{"sink", sink}})) {}

// --- Metrics ---------------------------------------------------------------------

Metrics::Metrics(std::string_view version) : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  auto& r = *registry_;
  Families& f = families_;
  f.events_consumed = &register_family(BuildCounter(), metric::kEventsConsumed, r);
  f.messages_consumed = &register_family(BuildCounter(), metric::kMessagesConsumed, r);
  f.rebalances = &register_family(BuildCounter(), metric::kRebalances, r);
  f.assigned_partitions = &register_family(BuildGauge(), metric::kAssignedPartitions, r);
  f.consumer_errors = &register_family(BuildCounter(), metric::kConsumerErrors, r);
  f.offset_commit_failures = &register_family(BuildCounter(), metric::kOffsetCommitFailures, r);
  f.consumer_lag = &register_family(BuildGauge(), metric::kConsumerLag, r);
  f.consumer_lag_seconds = &register_family(BuildGauge(), metric::kConsumerLagSeconds, r);
  f.commit_offset = &register_family(BuildGauge(), metric::kCommitOffset, r);
  f.consumer_paused = &register_family(BuildGauge(), metric::kConsumerPaused, r);
  f.inflight_messages = &register_family(BuildGauge(), metric::kInflightMessages, r);
  f.inflight_bytes = &register_family(BuildGauge(), metric::kInflightBytes, r);
  f.events_invalid = &register_family(BuildCounter(), metric::kEventsInvalid, r);
  f.events_routed = &register_family(BuildCounter(), metric::kEventsRouted, r);
  f.events_skipped = &register_family(BuildCounter(), metric::kEventsSkipped, r);
  f.events_filtered = &register_family(BuildCounter(), metric::kEventsFiltered, r);
  f.values_dropped = &register_family(BuildCounter(), metric::kValuesDropped, r);
  f.events_dead_lettered = &register_family(BuildCounter(), metric::kEventsDeadLettered, r);
  f.events_delivered = &register_family(BuildCounter(), metric::kEventsDelivered, r);
  f.http_requests = &register_family(BuildCounter(), metric::kHttpRequests, r);
  f.transport_errors = &register_family(BuildCounter(), metric::kTransportErrors, r);
  f.http_request_duration = &register_family(BuildHistogram(), metric::kHttpRequestDuration, r);
  f.batch_events = &register_family(BuildHistogram(), metric::kBatchEvents, r);
  f.inflight_requests = &register_family(BuildGauge(), metric::kInflightRequests, r);
  f.concurrency_limit = &register_family(BuildGauge(), metric::kConcurrencyLimit, r);
  f.retries = &register_family(BuildCounter(), metric::kRetries, r);
  f.circuit_open = &register_family(BuildGauge(), metric::kCircuitOpen, r);
  f.auth_failing = &register_family(BuildGauge(), metric::kAuthFailing, r);
  f.pending_events = &register_family(BuildGauge(), metric::kPendingEvents, r);
  f.end_to_end_latency = &register_family(BuildHistogram(), metric::kEndToEndLatency, r);
  f.kafka_records_acked = &register_family(BuildCounter(), metric::kKafkaRecordsAcked, r);
  f.kafka_produce_errors = &register_family(BuildCounter(), metric::kKafkaProduceErrors, r);
  f.kafka_pending_records = &register_family(BuildGauge(), metric::kKafkaPendingRecords, r);
  f.build_info = &register_family(BuildGauge(), metric::kBuildInfo, r);
  f.ready = &register_family(BuildGauge(), metric::kReady, r);

  f.build_info->Add({{"version", std::string(version)}}).Set(1);
  ready_ = &f.ready->Add({});
  source_ = std::make_unique<SourceMetrics>(families_);
  transform_ = std::make_unique<TransformMetrics>(families_);
}

RouteMetrics& Metrics::route(const std::string& destination) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = routes_[destination];
  if (!slot) slot = std::make_unique<RouteMetrics>(families_, destination);
  return *slot;
}

DeliveryMetrics& Metrics::delivery(const std::string& destination) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = deliveries_[destination];
  if (!slot) slot = std::make_unique<DeliveryMetrics>(families_, destination);
  return *slot;
}

KafkaSinkMetrics& Metrics::kafka_sink(const std::string& sink) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = sinks_[sink];
  if (!slot) slot = std::make_unique<KafkaSinkMetrics>(families_, sink);
  return *slot;
}

std::string Metrics::exposition() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace cdp_relay::obs
