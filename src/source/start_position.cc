#include "source/start_position.h"

#include <memory>

namespace cdp_relay::source {
namespace {

using PartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>;

PartitionList copy_of(const rd_kafka_topic_partition_list_t& list) {
  return PartitionList(rd_kafka_topic_partition_list_copy(&list),
                       &rd_kafka_topic_partition_list_destroy);
}

// The offsets a lookup answered, in the list's order; nullopt where it failed
// (for every partition when the whole request did).
std::vector<std::optional<int64_t>> answered_offsets(const rd_kafka_topic_partition_list_t& answer,
                                                     rd_kafka_resp_err_t err) {
  std::vector<std::optional<int64_t>> result(static_cast<size_t>(answer.cnt));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return result;
  for (int i = 0; i < answer.cnt; ++i) {
    if (answer.elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      result[static_cast<size_t>(i)] = answer.elems[i].offset;
    }
  }
  return result;
}

// Committed offset per partition of `partitions`, in order: negative when the
// group has none, nullopt for every partition when the lookup failed.
std::vector<std::optional<int64_t>> committed_offsets(
    rd_kafka_t* consumer, const rd_kafka_topic_partition_list_t& partitions,
    std::chrono::milliseconds timeout) {
  PartitionList query = copy_of(partitions);
  const auto err = rd_kafka_committed(consumer, query.get(), static_cast<int>(timeout.count()));
  return answered_offsets(*query, err);
}

}  // namespace

std::vector<std::optional<int64_t>> broker_offsets_for_times(
    rd_kafka_t* consumer, const rd_kafka_topic_partition_list_t& partitions, int64_t ms,
    std::chrono::milliseconds timeout) {
  PartitionList query = copy_of(partitions);
  // On input each element's offset is the timestamp to look up; on output it
  // is the earliest offset whose timestamp is >= it, or -1 (none that recent).
  for (int i = 0; i < query->cnt; ++i) query->elems[i].offset = ms;
  const auto err =
      rd_kafka_offsets_for_times(consumer, query.get(), static_cast<int>(timeout.count()));
  return answered_offsets(*query, err);
}

PartitionStart decide_start(const std::string& topic, int32_t partition,
                            std::optional<int64_t> committed,
                            std::optional<int64_t> at_or_after_timestamp) {
  PartitionStart start{topic, partition, std::nullopt, "lookup_failed"};
  if (!committed) return start;
  if (*committed >= 0) {
    start.origin = "committed";
    return start;
  }
  if (!at_or_after_timestamp) return start;
  if (*at_or_after_timestamp < 0) {
    start.offset = RD_KAFKA_OFFSET_END;
    start.origin = "end";
  } else {
    start.offset = *at_or_after_timestamp;
    start.origin = "timestamp";
  }
  return start;
}

std::vector<PartitionStart> seek_unstarted_to_timestamp(rd_kafka_t* consumer,
                                                        rd_kafka_topic_partition_list_t& partitions,
                                                        int64_t ms,
                                                        const OffsetsForTimes& offsets_for_times,
                                                        std::chrono::milliseconds timeout) {
  const auto committed = committed_offsets(consumer, partitions, timeout);
  // Look up only the partitions the group has not started yet.
  PartitionList unstarted(rd_kafka_topic_partition_list_new(partitions.cnt),
                          &rd_kafka_topic_partition_list_destroy);
  std::vector<int> unstarted_index;
  for (int i = 0; i < partitions.cnt; ++i) {
    const auto& offset = committed[static_cast<size_t>(i)];
    if (offset && *offset < 0) {
      rd_kafka_topic_partition_list_add(unstarted.get(), partitions.elems[i].topic,
                                        partitions.elems[i].partition);
      unstarted_index.push_back(i);
    }
  }
  std::vector<std::optional<int64_t>> found(static_cast<size_t>(partitions.cnt));
  if (unstarted->cnt > 0) {
    auto answers = offsets_for_times(consumer, *unstarted, ms, timeout);
    for (size_t j = 0; j < unstarted_index.size() && j < answers.size(); ++j) {
      found[static_cast<size_t>(unstarted_index[j])] = answers[j];
    }
  }

  std::vector<PartitionStart> starts;
  starts.reserve(static_cast<size_t>(partitions.cnt));
  for (int i = 0; i < partitions.cnt; ++i) {
    auto& element = partitions.elems[i];
    starts.push_back(decide_start(element.topic, element.partition,
                                  committed[static_cast<size_t>(i)],
                                  found[static_cast<size_t>(i)]));
    if (starts.back().offset) element.offset = *starts.back().offset;
  }
  return starts;
}

}  // namespace cdp_relay::source
