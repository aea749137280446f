// The per-user ordering rule of the delivery engine (docs/architecture.md).
#include "delivery/user_ordered_queue.h"

#include <gtest/gtest.h>

namespace cdp_relay::delivery {
namespace {

using namespace std::chrono_literals;
using time_point = UserOrderedQueue::time_point;

DeliveryItem item(const std::string& user, const std::string& payload) {
  DeliveryItem result;
  result.user_key = user;
  result.payload = payload;
  return result;
}

size_t no_framing(size_t) { return 0; }

std::vector<DeliveryItem> take(UserOrderedQueue& queue, size_t max_events) {
  std::vector<DeliveryItem> batch;
  queue.take_batch(max_events, 1 << 20, no_framing, batch);
  return batch;
}

std::vector<std::string> payloads(const std::vector<DeliveryItem>& batch) {
  std::vector<std::string> result;
  for (const auto& i : batch) result.push_back(i.payload);
  return result;
}

TEST(UserOrderedQueueTest, BatchesReadyUsersInArrivalOrder) {
  UserOrderedQueue queue;
  const time_point now{};
  queue.push(item("a", "a1"), now);
  queue.push(item("b", "b1"), now);
  queue.push(item("a", "a2"), now);
  EXPECT_EQ(queue.ready_items(), 3u);
  std::vector<DeliveryItem> batch;
  queue.take_batch(10, 1 << 20, no_framing, batch);
  // A user's items stay together and in order.
  EXPECT_EQ(payloads(batch), (std::vector<std::string>{"a1", "a2", "b1"}));
  EXPECT_EQ(queue.ready_items(), 0u);
}

TEST(UserOrderedQueueTest, BusyUserWaitsUntilItsBatchResolves) {
  UserOrderedQueue queue;
  const time_point now{};
  queue.push(item("a", "a1"), now);
  std::vector<DeliveryItem> first;
  queue.take_batch(10, 1 << 20, no_framing, first);
  ASSERT_EQ(first.size(), 1u);

  // a2 arrives while a1 is in flight: it must not overtake a1's retries.
  queue.push(item("a", "a2"), now);
  queue.push(item("b", "b1"), now);
  std::vector<DeliveryItem> second;
  queue.take_batch(10, 1 << 20, no_framing, second);
  EXPECT_EQ(payloads(second), (std::vector<std::string>{"b1"}));
  EXPECT_EQ(queue.ready_items(), 0u);
  EXPECT_EQ(queue.queued_items(), 1u);

  queue.release(first[0], now + 5ms);  // a1 resolved
  EXPECT_EQ(queue.ready_items(), 1u);
  EXPECT_EQ(queue.oldest_ready(), now + 5ms);
  std::vector<DeliveryItem> third;
  queue.take_batch(10, 1 << 20, no_framing, third);
  EXPECT_EQ(payloads(third), (std::vector<std::string>{"a2"}));
}

TEST(UserOrderedQueueTest, RespectsEventAndByteBoundsAndKeepsTheRestReady) {
  UserOrderedQueue queue;
  const time_point now{};
  for (int i = 0; i < 5; ++i) queue.push(item("u" + std::to_string(i), "xxxx"), now);
  std::vector<DeliveryItem> batch;
  queue.take_batch(3, 1 << 20, no_framing, batch);
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ(queue.ready_items(), 2u);

  std::vector<DeliveryItem> by_bytes;
  queue.take_batch(10, 6, no_framing, by_bytes);  // 4 bytes fit, 8 do not
  EXPECT_EQ(by_bytes.size(), 1u);
  EXPECT_EQ(queue.ready_items(), 1u);
  EXPECT_EQ(queue.ready_bytes(), 4u);
}

TEST(UserOrderedQueueTest, AUserWhoseFirstItemDoesNotFitStaysReady) {
  UserOrderedQueue queue;
  const time_point now{};
  queue.push(item("a", "aaaa"), now);
  queue.push(item("b", "bbbbbbbbbb"), now);
  std::vector<DeliveryItem> batch;
  queue.take_batch(10, 8, no_framing, batch);
  EXPECT_EQ(payloads(batch), (std::vector<std::string>{"aaaa"}));
  // b is not busy (nothing of it was taken), so it is still first in line.
  EXPECT_EQ(queue.ready_items(), 1u);
  std::vector<DeliveryItem> next;
  queue.take_batch(10, 100, no_framing, next);
  EXPECT_EQ(payloads(next), (std::vector<std::string>{"bbbbbbbbbb"}));
}

// Users that go idle leave their map node for reuse by the next new user:
// a recycled node must start empty, idle and under its new key, round after
// round, while a busy user keeps holding its own items back.
TEST(UserOrderedQueueTest, RecycledUserStateStartsClean) {
  UserOrderedQueue queue;
  const time_point now{};
  for (int round = 0; round < 3; ++round) {
    const std::string fresh = "user-" + std::to_string(round) + "-with-a-key-longer-than-sso";
    queue.push(item(fresh, fresh + "/1"), now);
    queue.push(item("busy", "busy/" + std::to_string(round)), now);
    std::vector<DeliveryItem> batch;
    queue.take_batch(10, 1 << 20, no_framing, batch);
    ASSERT_EQ(payloads(batch), (std::vector<std::string>{fresh + "/1", "busy/" + std::to_string(round)}));
    // "busy" gets a second item while its first is in flight: held back.
    queue.push(item("busy", "busy/held"), now);
    EXPECT_EQ(queue.ready_items(), 0u);
    queue.release(batch[0], now);  // idle and empty: its node goes to the spares
    queue.release(batch[1], now);  // idle with an item: ready again
    EXPECT_EQ(queue.ready_items(), 1u);
    std::vector<DeliveryItem> next;
    queue.take_batch(10, 1 << 20, no_framing, next);
    EXPECT_EQ(payloads(next), (std::vector<std::string>{"busy/held"}));
    queue.release(next[0], now);
    EXPECT_EQ(queue.queued_items(), 0u);
    EXPECT_EQ(queue.ready_bytes(), 0u);
  }
  // The recycled node of the last round's user answers to its new key only.
  queue.push(item("late", "late/1"), now);
  std::vector<DeliveryItem> batch;
  queue.take_batch(10, 1 << 20, no_framing, batch);
  EXPECT_EQ(payloads(batch), (std::vector<std::string>{"late/1"}));
}

// The engine releases the items themselves (each points at its user's state).
// Over more users than the queue keeps spare nodes for, a user's state,
// recycled or new, must be found again by its own key while it is busy: its
// next item waits.
TEST(UserOrderedQueueTest, ReleasedItemsFreeTheirUsersAndStateIsFoundByKey) {
  UserOrderedQueue queue;
  const time_point now{};
  for (int round = 0; round < 3; ++round) {
    for (int user = 0; user < 6000; ++user) {
      queue.push(item("user-" + std::to_string(round) + "-" + std::to_string(user) +
                          "-with-a-key-longer-than-sso", "x"),
                 now);
    }
    const std::vector<DeliveryItem> batch = take(queue, 10000);
    ASSERT_EQ(batch.size(), 6000u);
    for (const DeliveryItem& taken : batch) {
      // Busy: a second item of the same user is held back.
      queue.push(item(taken.user_key, "y"), now);
      ASSERT_EQ(queue.ready_items(), 0u) << taken.user_key;
    }
    for (const DeliveryItem& taken : batch) queue.release(taken, now);
    ASSERT_EQ(queue.ready_items(), 6000u);
    for (const DeliveryItem& taken : take(queue, 10000)) queue.release(taken, now);
    EXPECT_EQ(queue.queued_items(), 0u);
    EXPECT_EQ(queue.ready_items(), 0u);
  }
}

TEST(UserOrderedQueueTest, ReleasingAnItemThatWasNeverQueuedChangesNothing) {
  UserOrderedQueue queue;
  const time_point now{};
  queue.push(item("a", "a1"), now);
  const std::vector<DeliveryItem> batch = take(queue, 10);
  queue.push(item("a", "a2"), now);
  queue.release(item("a", "rejected before queueing"), now);
  EXPECT_EQ(queue.ready_items(), 0u);  // a1 is still in flight
  queue.release(batch.at(0), now);
  EXPECT_EQ(queue.ready_items(), 1u);
}

}  // namespace
}  // namespace cdp_relay::delivery
