// Pending delivery items, ordered per user, with the batch-forming rule that
// keeps each user's events in order (docs/architecture.md "Delivery semantics").
//
// The rule: a user is *busy* while any of its items is in a batch that is in
// flight, waiting for a retry, or being bisected. Only idle users' items can
// join a new batch, and a user's items join it in arrival order. So a retried
// or bisected batch can never be overtaken by a later event of the same user,
// and a failing event delays only its own user: other users keep flowing in
// other batches.
//
// Not thread-safe; owned by one DeliveryEngine.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "delivery/delivery_item.h"

namespace cdp_relay::delivery {

class UserOrderedQueue {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  void push(DeliveryItem item, time_point now);

  // Takes up to `max_events` items / `max_bytes` payload bytes from idle
  // users, oldest ready user first, into `batch`; marks those users busy.
  // `framing(n)` gives the bytes a batch of n events adds around payloads.
  // A single item is always taken even if it alone exceeds max_bytes (the
  // engine rejects such items before they are queued).
  template <typename Framing>
  void take_batch(size_t max_events, size_t max_bytes, Framing framing,
                  std::vector<DeliveryItem>& batch);

  // One item of `user_key` has been resolved (delivered or dead-lettered).
  // When the user has no item left in flight it becomes idle again.
  void release(const std::string& user_key, time_point now);

  // Items that could join a batch now, and their payload bytes.
  size_t ready_items() const { return ready_items_; }
  size_t ready_bytes() const { return ready_bytes_; }
  // When the oldest ready user became ready; nullopt when none is.
  std::optional<time_point> oldest_ready() const;

  // Every item held, ready or waiting behind a busy user.
  size_t queued_items() const { return queued_items_; }

 private:
  struct UserState {
    std::string key;
    std::deque<DeliveryItem> pending;
    size_t pending_bytes = 0;
    int in_flight = 0;  // items of this user in batches not yet resolved
    bool ready = false; // listed in ready_
    time_point ready_since{};
  };
  using UserMap = std::unordered_map<std::string, UserState>;

  void make_ready(UserState& user, time_point now);
  UserState& user_state(const std::string& user_key);

  // Node-based map: UserState addresses stay valid across rehashing, so the
  // ready list can point at them.
  UserMap users_;
  // Map nodes of users that went idle, kept for the next new user: users
  // come and go with every batch, and a fresh node costs three allocations
  // (the node, the deque's map and its first block). Bounded by kSpareUsers.
  static constexpr size_t kSpareUsers = 4096;
  std::vector<UserMap::node_type> spare_users_;
  std::deque<UserState*> ready_;
  size_t ready_items_ = 0;
  size_t ready_bytes_ = 0;
  size_t queued_items_ = 0;
};

template <typename Framing>
void UserOrderedQueue::take_batch(size_t max_events, size_t max_bytes, Framing framing,
                                  std::vector<DeliveryItem>& batch) {
  size_t bytes = 0;
  for (const DeliveryItem& item : batch) bytes += item.payload.size();
  while (!ready_.empty() && batch.size() < max_events) {
    UserState& user = *ready_.front();
    size_t taken = 0;
    bool batch_full = false;
    while (!user.pending.empty() && batch.size() < max_events) {
      const size_t size = user.pending.front().payload.size();
      if (!batch.empty() && bytes + size + framing(batch.size() + 1) > max_bytes) {
        batch_full = true;
        break;
      }
      bytes += size;
      user.pending_bytes -= size;
      ready_items_ -= 1;
      ready_bytes_ -= size;
      --queued_items_;
      ++user.in_flight;
      ++taken;
      batch.push_back(std::move(user.pending.front()));
      user.pending.pop_front();
    }
    // Not even this user's first item fits: the batch is complete, and the
    // user stays ready for the next one.
    if (taken == 0) break;
    // The user is busy now: whatever it still has waits for this batch.
    ready_.pop_front();
    user.ready = false;
    ready_items_ -= user.pending.size();
    ready_bytes_ -= user.pending_bytes;
    if (batch_full) break;
  }
}

}  // namespace cdp_relay::delivery
