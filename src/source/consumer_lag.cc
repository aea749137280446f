#include "source/consumer_lag.h"

#include <simdjson.h>

#include <charconv>

namespace cdp_relay::source {
namespace {

constexpr double kAlpha = 0.5;
constexpr int64_t kNoOffset = -1001;

}  // namespace

std::vector<PartitionStatistics> parse_partition_statistics(std::string_view json) {
  std::vector<PartitionStatistics> result;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return result;
  simdjson::dom::object topics;
  if (root["topics"].get_object().get(topics) != simdjson::SUCCESS) return result;
  for (auto [topic_name, topic] : topics) {
    simdjson::dom::object partitions;
    if (topic["partitions"].get_object().get(partitions) != simdjson::SUCCESS) continue;
    for (auto [partition_key, partition] : partitions) {
      int32_t id = -1;
      const auto parsed = std::from_chars(partition_key.data(),
                                          partition_key.data() + partition_key.size(), id);
      if (parsed.ec != std::errc() || id < 0) continue;  // "-1": librdkafka's UA partition
      PartitionStatistics stats;
      stats.topic = std::string(topic_name);
      stats.partition = id;
      int64_t value = 0;
      if (partition["consumer_lag"].get_int64().get(value) == simdjson::SUCCESS) {
        stats.consumer_lag = value;
      }
      if (partition["committed_offset"].get_int64().get(value) == simdjson::SUCCESS) {
        stats.committed_offset = value;
      }
      result.push_back(std::move(stats));
    }
  }
  return result;
}

std::optional<double> LagEstimator::update(const PartitionStatistics& stats, time_point now) {
  State& state = partitions_[{stats.topic, stats.partition}];
  if (stats.committed_offset != kNoOffset && stats.committed_offset >= 0) {
    if (state.committed == kNoOffset) {
      state.last_progress = now;
    } else if (now > state.sampled_at) {
      const double seconds = std::chrono::duration<double>(now - state.sampled_at).count();
      const double sample =
          static_cast<double>(std::max<int64_t>(0, stats.committed_offset - state.committed)) /
          seconds;
      state.rate = state.rate ? kAlpha * sample + (1 - kAlpha) * *state.rate : sample;
      if (stats.committed_offset > state.committed) state.last_progress = now;
    }
    state.committed = stats.committed_offset;
    state.sampled_at = now;
  } else if (state.sampled_at == time_point{}) {
    // Nothing committed yet: count the stall from the first report.
    state.sampled_at = now;
    state.last_progress = now;
  }
  if (stats.consumer_lag < 0) return std::nullopt;
  if (stats.consumer_lag == 0) {
    // Caught up: a later stall counts from here, not from the last commit
    // of an idle partition.
    state.last_progress = now;
    return 0.0;
  }
  if (state.rate && *state.rate > 1e-9) return static_cast<double>(stats.consumer_lag) / *state.rate;
  return std::chrono::duration<double>(now - state.last_progress).count();
}

void LagEstimator::forget(const std::string& topic, int32_t partition) {
  partitions_.erase({topic, partition});
}

}  // namespace cdp_relay::source
