// The contiguous watermark: the heart of at-least-once (docs/architecture.md).
#include "pipeline/offset_watermark.h"

#include <gtest/gtest.h>

namespace cdp_relay::pipeline {
namespace {

// Tracks `offset` with `outputs` registered outputs, sealed.
void consume(PartitionTracker& tracker, int64_t offset, int outputs) {
  tracker.track(offset);
  for (int i = 0; i < outputs; ++i) tracker.add_output(offset);
  tracker.seal(offset);
}

TEST(OffsetWatermarkTest, NothingIsCommittableBeforeAnyMessageResolves) {
  PartitionTracker tracker("t", 0);
  EXPECT_FALSE(tracker.committable());
  consume(tracker, 10, 1);
  EXPECT_FALSE(tracker.committable());
  EXPECT_FALSE(tracker.has_new_committable());
}

TEST(OffsetWatermarkTest, NeverPassesAnUnresolvedOffset) {
  PartitionTracker tracker("t", 0);
  consume(tracker, 10, 1);
  consume(tracker, 11, 1);
  consume(tracker, 12, 1);
  tracker.resolve_output(11);
  tracker.resolve_output(12);
  EXPECT_FALSE(tracker.committable()) << "10 is unresolved";
  tracker.resolve_output(10);
  EXPECT_EQ(tracker.committable(), 13);
  EXPECT_EQ(tracker.inflight_messages(), 0u);
}

TEST(OffsetWatermarkTest, AMessageResolvesOnlyWhenAllItsOutputsDo) {
  PartitionTracker tracker("t", 0);
  consume(tracker, 0, 3);  // e.g. vidora, a DLQ record, normalized
  tracker.resolve_output(0);
  tracker.resolve_output(0);
  EXPECT_FALSE(tracker.committable());
  tracker.resolve_output(0);
  EXPECT_EQ(tracker.committable(), 1);
}

TEST(OffsetWatermarkTest, AnUnsealedMessageHoldsTheWatermarkEvenAtZeroPending) {
  PartitionTracker tracker("t", 0);
  consume(tracker, 0, 0);  // no outputs at all (everything filtered): resolves at once
  EXPECT_EQ(tracker.committable(), 1);
  tracker.track(1);
  tracker.add_output(1);
  tracker.resolve_output(1);  // its first output resolved before the second is registered
  EXPECT_EQ(tracker.committable(), 1) << "not sealed yet";
  tracker.add_output(1);
  tracker.seal(1);
  EXPECT_EQ(tracker.committable(), 1);
  tracker.resolve_output(1);
  EXPECT_EQ(tracker.committable(), 2);
}

TEST(OffsetWatermarkTest, GapsInOffsetsAreSkipped) {
  PartitionTracker tracker("t", 0);
  consume(tracker, 5, 1);
  consume(tracker, 9, 1);  // 6-8 compacted away
  tracker.resolve_output(5);
  EXPECT_EQ(tracker.committable(), 9);
  tracker.resolve_output(9);
  EXPECT_EQ(tracker.committable(), 10);
}

TEST(OffsetWatermarkTest, FindsMessagesAcrossGapsWhereTheDirectIndexIsWrong) {
  PartitionTracker tracker("t", 0);
  consume(tracker, 0, 1);
  consume(tracker, 2, 1);  // offset 1 missing: offset 2 sits at index 1, not 2
  consume(tracker, 3, 1);
  ASSERT_NE(tracker.find(2), nullptr);
  EXPECT_EQ(tracker.find(2)->offset, 2);
  EXPECT_EQ(tracker.find(3)->offset, 3);
  EXPECT_EQ(tracker.find(1), nullptr);
  EXPECT_EQ(tracker.find(4), nullptr);
  EXPECT_EQ(tracker.find(-1), nullptr);
  tracker.resolve_output(2);
  tracker.resolve_output(3);
  EXPECT_FALSE(tracker.committable()) << "0 is unresolved";
  tracker.resolve_output(0);
  EXPECT_EQ(tracker.committable(), 4);
}

TEST(OffsetWatermarkTest, DuplicateOrUnknownCompletionsAreIgnored) {
  PartitionTracker tracker("t", 0);
  consume(tracker, 0, 1);
  consume(tracker, 1, 1);
  tracker.resolve_output(0);
  tracker.resolve_output(0);   // duplicate: must not resolve offset 1's output
  tracker.resolve_output(42);  // never tracked
  EXPECT_EQ(tracker.committable(), 1);
  EXPECT_EQ(tracker.inflight_messages(), 1u);
}

TEST(OffsetWatermarkTest, StoredMarkTracksNewCommittableOffsets) {
  PartitionTracker tracker("t", 0);
  consume(tracker, 0, 1);
  tracker.resolve_output(0);
  ASSERT_TRUE(tracker.has_new_committable());
  tracker.mark_stored(*tracker.committable());
  EXPECT_FALSE(tracker.has_new_committable());
  consume(tracker, 1, 1);
  EXPECT_FALSE(tracker.has_new_committable());
  tracker.resolve_output(1);
  EXPECT_TRUE(tracker.has_new_committable());
}

TEST(OffsetWatermarkTest, InflightBytesCountKeptKeysAndValues) {
  PartitionTracker tracker("t", 0);
  const std::string value(100, 'x');
  InflightMessage& message = tracker.track(0);
  message.key = "user-1";
  message.value = value;
  tracker.add_output(0);
  tracker.seal(0);
  EXPECT_EQ(tracker.inflight_bytes(), 106u);
  tracker.resolve_output(0);
  EXPECT_EQ(tracker.inflight_bytes(), 0u);
}

// The in-flight bounds count what can still need its bytes: a message resolved
// behind a slow one holds the watermark's place, nothing more.
TEST(OffsetWatermarkTest, ResolvedMessagesBehindAnUnresolvedOneNoLongerCountOrKeepBytes) {
  PartitionTracker tracker("t", 0);
  const std::string value(100, 'x');
  for (int64_t offset = 0; offset < 3; ++offset) {
    InflightMessage& message = tracker.track(offset);
    message.key = "user-1";
    message.value = value;
    tracker.add_output(offset);
    tracker.seal(offset);
  }
  EXPECT_EQ(tracker.inflight_messages(), 3u);
  EXPECT_EQ(tracker.inflight_bytes(), 318u);
  tracker.resolve_output(2);
  tracker.resolve_output(1);
  EXPECT_EQ(tracker.inflight_messages(), 1u) << "1 and 2 are resolved";
  EXPECT_EQ(tracker.inflight_bytes(), 106u);
  EXPECT_EQ(tracker.tracked_messages(), 3u) << "the watermark still waits for 0";
  EXPECT_FALSE(tracker.committable());
  ASSERT_NE(tracker.find(1), nullptr);
  EXPECT_TRUE(tracker.find(1)->value.empty()) << "a resolved message's bytes are let go";
  EXPECT_EQ(tracker.find(0)->value, value) << "an unresolved one keeps them (dead letters)";
  tracker.resolve_output(0);
  EXPECT_EQ(tracker.inflight_messages(), 0u);
  EXPECT_EQ(tracker.tracked_messages(), 0u);
  EXPECT_EQ(tracker.committable(), 3);
}

// A sweep detaches what the previous sweep already saw, each message once:
// messages keep the source's buffer for one to two sweep periods.
TEST(OffsetWatermarkTest, ASweepDetachesOnlyMessagesTrackedAtThePreviousSweep) {
  PartitionTracker tracker("t", 0);
  const std::string value = "bytes";
  int given_back = 0;
  auto lend = [&](int64_t offset) {
    InflightMessage& message = tracker.track(offset);
    message.value = value;
    // The owner stands for the lent buffer; releasing it counts.
    message.owner =
        MessageOwner(&given_back, ReleaseMessage{[](void* count) { ++*static_cast<int*>(count); }});
    tracker.add_output(offset);
    tracker.seal(offset);
  };
  lend(0);
  lend(1);
  tracker.detach_held_since_last_sweep();
  EXPECT_EQ(given_back, 0) << "the first sweep only notes what it saw";
  lend(2);
  tracker.resolve_output(1);
  EXPECT_EQ(given_back, 1) << "a resolved message gives its buffer back at once";
  tracker.detach_held_since_last_sweep();
  EXPECT_EQ(given_back, 2) << "0 was seen by the previous sweep; 2 was not";
  EXPECT_EQ(tracker.find(0)->value, value) << "a detached message keeps a copy";
  EXPECT_NE(tracker.find(0)->value.data(), value.data());
  EXPECT_EQ(tracker.find(2)->value.data(), value.data()) << "2 still views the lent bytes";
  tracker.detach_held_since_last_sweep();
  EXPECT_EQ(given_back, 3);
  EXPECT_EQ(tracker.find(2)->value, value);
}

TEST(OffsetWatermarkTest, AMessageWithNoOutputIsResolvedWhenSealed) {
  PartitionTracker tracker("t", 0);
  consume(tracker, 0, 1);
  tracker.track(1);
  tracker.seal(1);  // every event filtered: nothing to wait for
  EXPECT_EQ(tracker.inflight_messages(), 1u);
  tracker.resolve_output(0);
  EXPECT_EQ(tracker.inflight_messages(), 0u);
  EXPECT_EQ(tracker.committable(), 2);
}

TEST(OffsetWatermarkTest, ARevokedPartitionHasNothingToStoreEvenAfterLateCompletions) {
  PartitionTracker tracker("t", 3);
  consume(tracker, 0, 1);
  consume(tracker, 1, 1);
  tracker.resolve_output(0);
  ASSERT_EQ(tracker.committable(), 1);
  tracker.revoke();
  EXPECT_FALSE(tracker.committable());
  EXPECT_FALSE(tracker.has_new_committable());
  tracker.resolve_output(1);  // a late completion after the revoke
  EXPECT_FALSE(tracker.committable());
  EXPECT_FALSE(tracker.has_new_committable());
  EXPECT_EQ(tracker.inflight_messages(), 0u);
  EXPECT_EQ(tracker.partition(), 3);
  EXPECT_EQ(tracker.topic(), "t");
}

}  // namespace
}  // namespace cdp_relay::pipeline
