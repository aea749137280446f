// Consumer lag from librdkafka statistics, and the seconds-behind estimate
// (source/consumer_lag.h), on hand-written statistics and explicit times.
#include "source/consumer_lag.h"

#include <gtest/gtest.h>

#include <map>

namespace cdp_relay::source {
namespace {

using namespace std::chrono_literals;
using time_point = LagEstimator::time_point;

// The shape of librdkafka 2.0's statistics (trimmed to what is read).
constexpr std::string_view kStatistics = R"({
  "name": "rdkafka#consumer-1", "type": "consumer", "ts": 1234,
  "brokers": {"localhost:9092/1": {"name": "localhost:9092/1", "nodeid": 1}},
  "topics": {
    "raw-events": {"topic": "raw-events", "partitions": {
      "0": {"partition": 0, "consumer_lag": 120, "committed_offset": 880, "hi_offset": 1000},
      "1": {"partition": 1, "consumer_lag": -1, "committed_offset": -1001, "hi_offset": 5},
      "-1": {"partition": -1, "consumer_lag": -1, "committed_offset": -1001}}},
    "other": {"topic": "other", "partitions": {
      "7": {"partition": 7, "consumer_lag": 0, "committed_offset": 3}}}
  }
})";

TEST(ConsumerLagTest, ParsesEveryRealPartition) {
  const auto stats = parse_partition_statistics(kStatistics);
  ASSERT_EQ(stats.size(), 3u);
  std::map<std::string, PartitionStatistics> by;
  for (const auto& s : stats) by[s.topic + "/" + std::to_string(s.partition)] = s;
  EXPECT_EQ(by["raw-events/0"].consumer_lag, 120);
  EXPECT_EQ(by["raw-events/0"].committed_offset, 880);
  EXPECT_EQ(by["raw-events/1"].consumer_lag, -1);
  EXPECT_EQ(by["other/7"].consumer_lag, 0);
  EXPECT_FALSE(by.count("raw-events/-1"));
}

TEST(ConsumerLagTest, MalformedStatisticsYieldNothing) {
  EXPECT_TRUE(parse_partition_statistics("{not json").empty());
  EXPECT_TRUE(parse_partition_statistics(R"({"topics": 3})").empty());
}

TEST(ConsumerLagTest, SecondsBehindIsLagOverTheDrainRate) {
  LagEstimator estimator;
  const time_point t0(1h);
  // First report: no rate yet, nothing stalled yet.
  EXPECT_EQ(estimator.update({"t", 0, 1000, 0}, t0), 0.0);
  // 500 offsets committed in 5 s: 100/s; lag 1000 -> 10 s behind.
  EXPECT_DOUBLE_EQ(*estimator.update({"t", 0, 1000, 500}, t0 + 5s), 10.0);
  // 1000 offsets in 5 s: sample 200/s, EWMA(0.5) = 150/s; lag 300 -> 2 s.
  EXPECT_DOUBLE_EQ(*estimator.update({"t", 0, 300, 1500}, t0 + 10s), 2.0);
  EXPECT_EQ(estimator.update({"t", 0, 0, 1800}, t0 + 15s), 0.0);
}

TEST(ConsumerLagTest, AStalledPartitionReportsTheTimeSinceItLastMoved) {
  LagEstimator estimator;
  const time_point t0(1h);
  estimator.update({"t", 0, 0, 100}, t0);  // caught up
  // Nothing committed since, lag appears: rate 0 -> time since caught up.
  EXPECT_DOUBLE_EQ(*estimator.update({"t", 0, 50, 100}, t0 + 5s), 5.0);
  EXPECT_DOUBLE_EQ(*estimator.update({"t", 0, 90, 100}, t0 + 20s), 20.0);
}

TEST(ConsumerLagTest, UnknownLagYieldsNoValueAndForgetDropsTheRate) {
  LagEstimator estimator;
  const time_point t0(1h);
  EXPECT_FALSE(estimator.update({"t", 1, -1, -1001}, t0));
  estimator.update({"t", 0, 100, 0}, t0);
  estimator.update({"t", 0, 100, 100}, t0 + 1s);  // 100/s
  estimator.forget("t", 0);
  // Re-assigned: no rate carried over; lag with no progress since the first
  // report counts as stalled from that report.
  EXPECT_DOUBLE_EQ(*estimator.update({"t", 0, 100, 100}, t0 + 2s), 0.0);
}

}  // namespace
}  // namespace cdp_relay::source
