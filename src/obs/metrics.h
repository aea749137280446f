// The relay's Prometheus registry and the typed handles each stage holds
// (STYLE.md "Metrics"): a stage gets a struct of counter/gauge/histogram
// references resolved once, at startup or when a partition is assigned, and
// never looks a series up by name on the per-event path.
//
// Owns: one prometheus::Registry per Relay (two relays in one test process do
// not share series), every family of obs/metric_names.h, and the handle
// structs. Handles live as long as the Metrics object, at stable addresses.
//
// Threading: prometheus-cpp counters, gauges and histograms are atomic, so a
// stage updates them on its thread while the admin server's thread collects.
// Creating handles (delivery(), kafka_sink(), SourceMetrics::add_partition)
// is guarded by a mutex but meant for startup and rebalances.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "cdp_relay/error.h"
#include "cdp_relay/route_decision.h"
#include "cdp_relay/transport_error_kind.h"

namespace cdp_relay::obs {

// Bucket boundaries, chosen for the quantity each histogram measures.
// HTTP latency: a healthy API answers in 10-500 ms; the request timeout
// defaults to 30 s, so the top buckets catch timeouts.
inline const std::vector<double> kHttpDurationBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                         0.5,   1,    2.5,   5,    10,  30};
// Events per request: 1 up to the 500-event default cap (and a raised cap).
inline const std::vector<double> kBatchEventsBuckets = {1,  2,   5,   10,  25,  50,
                                                        100, 250, 500, 1000, 5000};
// End to end: tens of ms when caught up (linger + RTT), minutes when lagging,
// hours to days while replaying a backlog or after an outage.
inline const std::vector<double> kEndToEndBuckets = {0.05, 0.1,  0.25, 0.5,  1,    2.5,
                                                     5,    10,   30,   60,   300,  900,
                                                     3600, 21600, 86400};

// Observations gathered on the caller's side and added to a histogram in one
// call. prometheus-cpp's Histogram::Observe takes a lock and updates two
// atomics per value; a delivered batch's end-to-end latencies observed one by
// one would take that lock 500 times per request on the pipeline thread.
class HistogramBatch {
 public:
  // `boundaries` must be the histogram's own (a reference: they outlive it).
  explicit HistogramBatch(const std::vector<double>& boundaries)
      : boundaries_(boundaries), counts_(boundaries.size() + 1, 0.0) {}

  void observe(double value);
  bool empty() const { return observations_ == 0; }
  // Adds what was observed since the last flush to `histogram` and resets.
  void flush_to(prometheus::Histogram& histogram);

 private:
  const std::vector<double>& boundaries_;
  std::vector<double> counts_;  // per bucket, not cumulative; the last is +Inf
  double sum_ = 0;
  size_t observations_ = 0;
};

// Every family, registered once by Metrics.
struct Families {
  prometheus::Family<prometheus::Counter>* events_consumed;
  prometheus::Family<prometheus::Counter>* messages_consumed;
  prometheus::Family<prometheus::Counter>* rebalances;
  prometheus::Family<prometheus::Gauge>* assigned_partitions;
  prometheus::Family<prometheus::Counter>* consumer_errors;
  prometheus::Family<prometheus::Counter>* offset_commit_failures;
  prometheus::Family<prometheus::Gauge>* consumer_lag;
  prometheus::Family<prometheus::Gauge>* consumer_lag_seconds;
  prometheus::Family<prometheus::Gauge>* commit_offset;
  prometheus::Family<prometheus::Gauge>* consumer_paused;
  prometheus::Family<prometheus::Gauge>* inflight_messages;
  prometheus::Family<prometheus::Gauge>* inflight_bytes;
  prometheus::Family<prometheus::Counter>* events_invalid;
  prometheus::Family<prometheus::Counter>* events_routed;
  prometheus::Family<prometheus::Counter>* events_skipped;
  prometheus::Family<prometheus::Counter>* events_filtered;
  prometheus::Family<prometheus::Counter>* values_dropped;
  prometheus::Family<prometheus::Counter>* events_dead_lettered;
  prometheus::Family<prometheus::Counter>* events_delivered;
  prometheus::Family<prometheus::Counter>* http_requests;
  prometheus::Family<prometheus::Counter>* transport_errors;
  prometheus::Family<prometheus::Histogram>* http_request_duration;
  prometheus::Family<prometheus::Histogram>* batch_events;
  prometheus::Family<prometheus::Gauge>* inflight_requests;
  prometheus::Family<prometheus::Gauge>* concurrency_limit;
  prometheus::Family<prometheus::Counter>* retries;
  prometheus::Family<prometheus::Gauge>* circuit_open;
  prometheus::Family<prometheus::Gauge>* auth_failing;
  prometheus::Family<prometheus::Gauge>* pending_events;
  prometheus::Family<prometheus::Histogram>* end_to_end_latency;
  prometheus::Family<prometheus::Counter>* kafka_records_acked;
  prometheus::Family<prometheus::Counter>* kafka_produce_errors;
  prometheus::Family<prometheus::Gauge>* kafka_pending_records;
  prometheus::Family<prometheus::Gauge>* build_info;
  prometheus::Family<prometheus::Gauge>* ready;
};

// Per source topic; resolved once per topic by the pipeline loop.
struct TopicMetrics {
  prometheus::Counter* messages = nullptr;
  prometheus::Counter* events = nullptr;
};

// Per assigned partition; created on assign (NaN: unknown until the first
// statistics report or commit), removed on revoke so that a partition that
// moved to another member leaves no stale series here.
struct PartitionMetrics {
  prometheus::Gauge* lag = nullptr;
  prometheus::Gauge* lag_seconds = nullptr;
  prometheus::Gauge* commit_offset = nullptr;
};

// The consumer side: KafkaSource (rebalances, errors, lag, commits) and the
// pipeline loop (consumption, backpressure).
class SourceMetrics {
 public:
  explicit SourceMetrics(const Families& families);

  TopicMetrics topic(const std::string& topic);
  // REQUIRES: called on one thread (the consumer's), like the callbacks.
  PartitionMetrics& add_partition(const std::string& topic, int32_t partition);
  void remove_partition(const std::string& topic, int32_t partition);
  // nullptr when the partition is not assigned.
  PartitionMetrics* partition(const std::string& topic, int32_t partition);

  prometheus::Counter& rebalance_assign;
  prometheus::Counter& rebalance_revoke;
  prometheus::Counter& rebalance_lost;
  prometheus::Gauge& assigned_partitions;
  prometheus::Counter& consumer_errors;
  prometheus::Counter& offset_commit_failures;
  prometheus::Gauge& paused;
  prometheus::Gauge& inflight_messages;
  prometheus::Gauge& inflight_bytes;

 private:
  const Families& families_;
  std::map<std::pair<std::string, int32_t>, PartitionMetrics> partitions_;
};

// Decode and validation rejections (destination "none" on the DLQ series).
class TransformMetrics {
 public:
  explicit TransformMetrics(const Families& families);
  prometheus::Counter& invalid(Reason reason) { return *invalid_[static_cast<size_t>(reason)]; }
  prometheus::Counter& dead_lettered(Reason reason) {
    return *dead_lettered_[static_cast<size_t>(reason)];
  }
  prometheus::Counter& transport_error(TransportErrorKind kind) {
    return *transport_errors_[static_cast<size_t>(kind)];
  }

 private:
  std::array<prometheus::Counter*, kReasonCount> invalid_{};
  std::array<prometheus::Counter*, kReasonCount> dead_lettered_{};
  std::array<prometheus::Counter*, kTransportErrorKindCount> transport_errors_{};
};

// One output route of the transform stage (an HTTP destination or the
// normalized topic).
struct RouteMetrics {
  RouteMetrics(const Families& families, const std::string& destination);
  prometheus::Counter& routed;
  // Values lost to key collisions (route::DestinationOutput::dropped_values).
  prometheus::Counter& values_dropped;
  // The skipped or filtered counter of each non-routed decision, by reason
  // (a bounded set: RouteDecision). Null for kRouted.
  std::array<prometheus::Counter*, kRouteDecisionCount> not_routed{};
};

// One HTTP destination's delivery engine.
class DeliveryMetrics {
 public:
  DeliveryMetrics(const Families& families, std::string destination);

  // The response counter of `code`, created on first use.
  // REQUIRES: called on the engine's thread (the cache is not locked).
  prometheus::Counter& http_response(int code);
  prometheus::Counter& dead_lettered(Reason reason) {
    return *dead_lettered_[static_cast<size_t>(reason)];
  }
  prometheus::Counter& transport_error(TransportErrorKind kind) {
    return *transport_errors_[static_cast<size_t>(kind)];
  }
  const std::string& destination() const { return destination_; }

 private:
  const Families& families_;
  std::string destination_;
  std::unordered_map<int, prometheus::Counter*> responses_;
  std::array<prometheus::Counter*, kReasonCount> dead_lettered_{};
  std::array<prometheus::Counter*, kTransportErrorKindCount> transport_errors_{};

 public:
  prometheus::Counter& delivered;
  prometheus::Counter& retries;
  prometheus::Histogram& request_duration;
  prometheus::Histogram& batch_events;
  prometheus::Histogram& end_to_end_latency;
  prometheus::Gauge& inflight_requests;
  prometheus::Gauge& concurrency_limit;
  prometheus::Gauge& circuit_open;
  prometheus::Gauge& auth_failing;
  prometheus::Gauge& pending_events;
};

// One at-least-once Kafka writer (dead_letter or normalized).
struct KafkaSinkMetrics {
  KafkaSinkMetrics(const Families& families, const std::string& sink);
  prometheus::Counter& acked;
  prometheus::Counter& produce_errors;
  prometheus::Gauge& pending;
};

class Metrics {
 public:
  // Registers every family of metric_names.h and sets build_info{version}.
  explicit Metrics(std::string_view version);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  SourceMetrics& source() { return *source_; }
  TransformMetrics& transform() { return *transform_; }
  // Created on first call per name; the reference stays valid.
  RouteMetrics& route(const std::string& destination);
  DeliveryMetrics& delivery(const std::string& destination);
  KafkaSinkMetrics& kafka_sink(const std::string& sink);
  prometheus::Gauge& ready() { return *ready_; }

  // The Prometheus text exposition format (version 0.0.4) of every series.
  std::string exposition() const;
  const prometheus::Registry& registry() const { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  Families families_{};
  std::unique_ptr<SourceMetrics> source_;
  std::unique_ptr<TransformMetrics> transform_;
  prometheus::Gauge* ready_ = nullptr;
  std::mutex mu_;  // guards the maps below
  std::map<std::string, std::unique_ptr<RouteMetrics>> routes_;
  std::map<std::string, std::unique_ptr<DeliveryMetrics>> deliveries_;
  std::map<std::string, std::unique_ptr<KafkaSinkMetrics>> sinks_;
};

}  // namespace cdp_relay::obs
