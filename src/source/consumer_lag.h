// Consumer lag per partition from librdkafka's statistics (the JSON emitted
// every statistics.interval.ms), and the "seconds behind" estimate derived
// from it: the signal autoscaling should use (docs/scaling.md).
//
// Owns: per-partition drain-rate state. No I/O, no librdkafka handle: the
// source feeds it parsed statistics and a time, so it is unit-tested with
// hand-written JSON and explicit times.
//
// Algorithm (per partition, at each statistics report):
//   lag      = consumer_lag (high watermark - committed offset), as reported;
//   rate     = EWMA (alpha 0.5) of committed-offset progress per second
//              between two reports; a report with an unknown committed
//              offset (-1001: nothing committed yet) adds no sample;
//   seconds  = 0                                when lag <= 0,
//              lag / rate                       when rate > 0,
//              time since the offset last moved or the partition was
//              last caught up, otherwise (a stalled
//              partition's seconds-behind keeps growing, instead of being
//              reported as +Inf or 0; it is a lower bound).
// Why the committed offset: the lag is measured against it, so lag and rate
// share one reference point and their ratio is a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp_relay::source {

struct PartitionStatistics {
  std::string topic;
  int32_t partition = -1;
  int64_t consumer_lag = -1;       // -1: unknown
  int64_t committed_offset = -1001;  // -1001: nothing committed yet
};

// topics.<t>.partitions.<p>.{consumer_lag, committed_offset} of every real
// partition (not the internal -1). Malformed JSON yields nothing.
std::vector<PartitionStatistics> parse_partition_statistics(std::string_view json);

class LagEstimator {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  // Returns seconds behind for this report, or nullopt when the lag is
  // unknown (-1).
  std::optional<double> update(const PartitionStatistics& stats, time_point now);
  // Forgets a partition (revoked): its rate does not carry over.
  void forget(const std::string& topic, int32_t partition);

 private:
  struct State {
    int64_t committed = -1001;
    time_point sampled_at{};
    time_point last_progress{};
    std::optional<double> rate;  // offsets per second
  };
  std::map<std::pair<std::string, int32_t>, State> partitions_;
};

}  // namespace cdp_relay::source
