// The one list of cdp-relay's Prometheus series (STYLE.md "Metrics"; Vector's
// metric_name.rs). Every series the binary exports is declared here, once,
// with its type, its labels and its help text; obs/metrics.cc registers
// exactly this list and nothing else, and a unit test checks that.
//
// Invariants:
//  - Names carry the `cdp_relay_` prefix; counters end in
//    `_total`, durations are in seconds (`_seconds`), as `promtool check
//    metrics` wants.
//  - Labels come only from bounded sets: destination (configured
//    destinations, plus "none" for decode failures and "normalized" for the
//    normalized topic), reason (the closed Reason enum), code (HTTP status,
//    0 = transport error), kind (TransportErrorKind), topic (configured source topics), partition
//    (assigned partitions), sink (dead_letter | normalized), event (assign |
//    revoke | lost), version. Never a user, a message id, a URL or an error
//    text (STYLE.md smell 5).
//  - The core series (README "Metrics") are a contract that dashboards and
//    alerts depend on: add series, never rename one.
#pragma once

#include <array>
#include <string_view>

namespace cdp_relay::obs::metric {

enum class Type { kCounter, kGauge, kHistogram };

struct Spec {
  std::string_view name;
  Type type;
  std::string_view labels;  // comma-separated label names, "" for none
  std::string_view help;
};

// --- Source (Kafka consumer) ------------------------------------------------
inline constexpr Spec kEventsConsumed{
    "cdp_relay_events_consumed_total", Type::kCounter, "topic",
    "Input events read from Kafka per source topic: every decoded event and every rejected "
    "input (a malformed message, or one bad item of a batch) counts once"};
inline constexpr Spec kMessagesConsumed{"cdp_relay_messages_consumed_total", Type::kCounter,
                                        "topic", "Kafka messages read per source topic"};
inline constexpr Spec kRebalances{
    "cdp_relay_rebalances_total", Type::kCounter, "event",
    "Consumer-group rebalance callbacks: event=assign, revoke or lost"};
inline constexpr Spec kAssignedPartitions{"cdp_relay_assigned_partitions", Type::kGauge, "",
                                          "Partitions currently assigned to this consumer"};
inline constexpr Spec kConsumerErrors{
    "cdp_relay_consumer_errors_total", Type::kCounter, "",
    "Errors reported by the Kafka consumer (librdkafka recovers from them itself)"};
inline constexpr Spec kConsumerLag{
    "cdp_relay_consumer_lag", Type::kGauge, "topic,partition",
    "Messages between the group's committed offset and the partition's high watermark, from "
    "librdkafka statistics (statistics.interval.ms)"};
inline constexpr Spec kConsumerLagSeconds{
    "cdp_relay_consumer_lag_seconds", Type::kGauge, "topic,partition",
    "Seconds behind: consumer lag divided by the partition's recent drain rate (committed "
    "offsets per second); while the partition drains nothing, the time since it last advanced"};
inline constexpr Spec kCommitOffset{"cdp_relay_commit_offset", Type::kGauge, "topic,partition",
                                    "Last offset committed to the group per partition"};
inline constexpr Spec kOffsetCommitFailures{
    "cdp_relay_offset_commit_failures_total", Type::kCounter, "",
    "Offset commits that failed (the periodic auto-commit, or the commits on revoke and at "
    "shutdown), from librdkafka's commit callback. Not loss: the next commit, or the partition's "
    "next owner, resumes from the last committed offset, so duplicates grow"};
inline constexpr Spec kConsumerPaused{
    "cdp_relay_consumer_paused", Type::kGauge, "",
    "1 while in-flight work at its bound holds or pauses the consumer (backpressure)"};
inline constexpr Spec kInflightMessages{
    "cdp_relay_inflight_messages", Type::kGauge, "",
    "Consumed messages whose outputs are not all resolved yet"};
inline constexpr Spec kInflightBytes{"cdp_relay_inflight_bytes", Type::kGauge, "",
                                     "Original bytes of the in-flight messages"};

// --- Transform and routing --------------------------------------------------
inline constexpr Spec kEventsInvalid{
    "cdp_relay_events_invalid_total", Type::kCounter, "reason",
    "Inputs rejected by decoding or validation, by reason (each goes to the dead-letter topic)"};
inline constexpr Spec kEventsRouted{
    "cdp_relay_events_routed_total", Type::kCounter, "destination",
    "Encoded events handed to an output (an HTTP destination, or \"normalized\")"};
inline constexpr Spec kEventsSkipped{
    "cdp_relay_events_skipped_total", Type::kCounter, "destination,reason",
    "Events the destination's mapping takes no form of, by reason (unsupported_kind: e.g. "
    "Segment alias for Vidora; unmapped_event, no_content_id, no_audience_value: Spideo)"};
inline constexpr Spec kEventsFiltered{
    "cdp_relay_events_filtered_total", Type::kCounter, "destination,reason",
    "Events routing kept away from the destination, by reason (integrations, excluded, "
    "not_included, consent_ccpa_opt_out, consent_gdpr_missing)"};
inline constexpr Spec kValuesDropped{
    "cdp_relay_values_dropped_total", Type::kCounter, "destination,reason",
    "Values of routed events the mapping could not write (reason key_collision: the key, its "
    "prop_ form and every numbered suffix were taken); the event itself was sent"};
inline constexpr Spec kEventsDeadLettered{
    "cdp_relay_events_dead_lettered_total", Type::kCounter, "destination,reason",
    "Records written to the dead-letter topic, by destination (\"none\" for decode and "
    "validation failures) and reason"};

// --- Delivery (one set per HTTP destination) --------------------------------
inline constexpr Spec kEventsDelivered{"cdp_relay_events_delivered_total", Type::kCounter,
                                       "destination",
                                       "Events acknowledged by a 2xx response of the destination"};
inline constexpr Spec kHttpRequests{
    "cdp_relay_http_requests_total", Type::kCounter, "destination,code",
    "HTTP responses by status code (code=0: transport error or timeout)"};
inline constexpr Spec kTransportErrors{
    "cdp_relay_transport_errors_total", Type::kCounter, "destination,kind",
    "Requests that got no HTTP response, by class: kind=dns, connect, tls, timeout or other "
    "(each is also counted as code=0 in cdp_relay_http_requests_total)"};
inline constexpr Spec kHttpRequestDuration{
    "cdp_relay_http_request_duration_seconds", Type::kHistogram, "destination",
    "Time from sending a request to its response or failure"};
inline constexpr Spec kBatchEvents{"cdp_relay_batch_events", Type::kHistogram, "destination",
                                   "Events per HTTP request (every attempt counts)"};
inline constexpr Spec kInflightRequests{"cdp_relay_inflight_requests", Type::kGauge,
                                        "destination", "HTTP requests in flight"};
inline constexpr Spec kConcurrencyLimit{"cdp_relay_concurrency_limit", Type::kGauge,
                                        "destination",
                                        "Current adaptive (AIMD) limit on concurrent requests"};
inline constexpr Spec kRetries{"cdp_relay_retries_total", Type::kCounter, "destination",
                               "Request attempts after a batch's first"};
inline constexpr Spec kCircuitOpen{
    "cdp_relay_circuit_open", Type::kGauge, "destination",
    "1 while the destination's circuit breaker is open or half-open (events wait, none dropped)"};
inline constexpr Spec kAuthFailing{
    "cdp_relay_auth_failing", Type::kGauge, "destination",
    "1 while the destination answers 401/403 (events are held, never dropped)"};
inline constexpr Spec kPendingEvents{
    "cdp_relay_pending_events", Type::kGauge, "destination",
    "Events held by the delivery engine: queued, in flight or waiting for a retry"};
inline constexpr Spec kEndToEndLatency{
    "cdp_relay_end_to_end_latency_seconds", Type::kHistogram, "destination",
    "From the event's own timestamp (the Kafka timestamp when it has none) to the 2xx"};

// --- Kafka sinks (dead-letter and normalized topics) ------------------------
inline constexpr Spec kKafkaRecordsAcked{
    "cdp_relay_kafka_records_acked_total", Type::kCounter, "sink",
    "Records acknowledged by the broker, per producer (sink=dead_letter or normalized)"};
inline constexpr Spec kKafkaProduceErrors{
    "cdp_relay_kafka_produce_errors_total", Type::kCounter, "sink",
    "Failed produce attempts (each record is produced again until acknowledged)"};
inline constexpr Spec kKafkaPendingRecords{"cdp_relay_kafka_pending_records", Type::kGauge,
                                           "sink", "Records not yet acknowledged"};

// --- Process ------------------------------------------------------------------
inline constexpr Spec kBuildInfo{"cdp_relay_build_info", Type::kGauge, "version",
                                 "Always 1; the version label is the relay's version"};
inline constexpr Spec kReady{"cdp_relay_ready", Type::kGauge, "",
                             "1 when /readyz answers 200 (evaluated at each scrape)"};

inline constexpr std::array kAll = {
    &kEventsConsumed,    &kMessagesConsumed,  &kRebalances,         &kAssignedPartitions,
    &kConsumerErrors,    &kConsumerLag,       &kConsumerLagSeconds, &kCommitOffset,
    &kOffsetCommitFailures,
    &kConsumerPaused,    &kInflightMessages,  &kInflightBytes,      &kEventsInvalid,
    &kEventsRouted,      &kEventsSkipped,     &kEventsFiltered,     &kValuesDropped,
    &kEventsDeadLettered,
    &kEventsDelivered,   &kHttpRequests,      &kTransportErrors,    &kHttpRequestDuration,
    &kBatchEvents,
    &kInflightRequests,  &kConcurrencyLimit,  &kRetries,            &kCircuitOpen,
    &kAuthFailing,       &kPendingEvents,     &kEndToEndLatency,    &kKafkaRecordsAcked,
    &kKafkaProduceErrors, &kKafkaPendingRecords, &kBuildInfo,       &kReady,
};

}  // namespace cdp_relay::obs::metric
