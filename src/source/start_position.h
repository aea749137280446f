// Where a back-fill group's partitions start (`cdp-relay run
// --from-timestamp T`, docs/backfill.md).
//
// On each assignment, a partition for which the group has a committed offset
// resumes there: restarting a back-fill continues it, it never starts over.
// A partition without one starts at the first offset whose Kafka timestamp is
// at or after T, found with the broker's time index (ListOffsets by
// timestamp, librdkafka's rd_kafka_offsets_for_times); when no message is
// that recent, at the end of the partition.
//
// When a lookup fails (brokers unreachable for the whole timeout) the
// partition is left to librdkafka's usual rule (committed offset, else
// auto.offset.reset=earliest): more events rather than fewer, and an error
// log line says so.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cdp_relay::source {

struct PartitionStart {
  std::string topic;
  int32_t partition = -1;
  // The offset to assign, or nullopt to leave the partition to librdkafka
  // (it resumes at the committed offset).
  std::optional<int64_t> offset;
  // Why, for the log line: "committed", "timestamp", "end", "lookup_failed".
  std::string origin;
};

// Per partition of `partitions`: the first offset whose timestamp is >= `ms`,
// -1 when no message is that recent, nullopt when the lookup failed.
// rd_kafka_offsets_for_times' contract; tests may substitute their own (the
// librdkafka 2.0.2 mock cluster answers -1 to every timestamp).
using OffsetsForTimes = std::function<std::vector<std::optional<int64_t>>(
    rd_kafka_t* consumer, const rd_kafka_topic_partition_list_t& partitions, int64_t ms,
    std::chrono::milliseconds timeout)>;

// rd_kafka_offsets_for_times on `consumer`.
std::vector<std::optional<int64_t>> broker_offsets_for_times(
    rd_kafka_t* consumer, const rd_kafka_topic_partition_list_t& partitions, int64_t ms,
    std::chrono::milliseconds timeout);

// The decision for one partition, given its committed offset (nullopt when
// the committed-offset lookup failed; a negative value when the group has
// none) and, when it was needed, the timestamp lookup's answer.
PartitionStart decide_start(const std::string& topic, int32_t partition,
                            std::optional<int64_t> committed,
                            std::optional<int64_t> at_or_after_timestamp);

// Decides every partition of `partitions` (an assignment being made) and
// writes the chosen offsets into it, so that assigning the list applies them.
// Blocking: at most two broker round trips, each bounded by `timeout`.
std::vector<PartitionStart> seek_unstarted_to_timestamp(rd_kafka_t* consumer,
                                                        rd_kafka_topic_partition_list_t& partitions,
                                                        int64_t ms,
                                                        const OffsetsForTimes& offsets_for_times,
                                                        std::chrono::milliseconds timeout);

}  // namespace cdp_relay::source
