// Where a back-fill partition starts (source/start_position.h): a committed
// offset wins, else the first offset at or after the timestamp, else the end;
// a failed lookup leaves the partition to librdkafka.
#include "source/start_position.h"

#include <gtest/gtest.h>

namespace cdp_relay::source {
namespace {

TEST(StartPositionTest, CommittedOffsetWinsOverTheTimestamp) {
  const PartitionStart start = decide_start("raw-events", 3, 1200, 40);
  EXPECT_EQ(start.topic, "raw-events");
  EXPECT_EQ(start.partition, 3);
  EXPECT_FALSE(start.offset.has_value());  // librdkafka resumes at 1200
  EXPECT_EQ(start.origin, "committed");
  // Offset 0 committed is a committed offset too.
  EXPECT_EQ(decide_start("t", 0, 0, 40).origin, "committed");
  EXPECT_FALSE(decide_start("t", 0, 0, 40).offset.has_value());
}

TEST(StartPositionTest, UncommittedPartitionStartsAtTheTimestampsOffset) {
  const PartitionStart start = decide_start("t", 1, RD_KAFKA_OFFSET_INVALID, 40);
  EXPECT_EQ(start.offset, std::optional<int64_t>(40));
  EXPECT_EQ(start.origin, "timestamp");
  EXPECT_EQ(decide_start("t", 1, RD_KAFKA_OFFSET_INVALID, 0).offset,
            std::optional<int64_t>(0));
}

TEST(StartPositionTest, NoMessageThatRecentStartsAtTheEnd) {
  const PartitionStart start = decide_start("t", 1, RD_KAFKA_OFFSET_INVALID, -1);
  EXPECT_EQ(start.offset, std::optional<int64_t>(RD_KAFKA_OFFSET_END));
  EXPECT_EQ(start.origin, "end");
}

TEST(StartPositionTest, FailedLookupsLeaveThePartitionToLibrdkafka) {
  const PartitionStart committed_unknown = decide_start("t", 1, std::nullopt, 40);
  EXPECT_FALSE(committed_unknown.offset.has_value());
  EXPECT_EQ(committed_unknown.origin, "lookup_failed");
  const PartitionStart offset_unknown =
      decide_start("t", 1, RD_KAFKA_OFFSET_INVALID, std::nullopt);
  EXPECT_FALSE(offset_unknown.offset.has_value());
  EXPECT_EQ(offset_unknown.origin, "lookup_failed");
}

}  // namespace
}  // namespace cdp_relay::source
