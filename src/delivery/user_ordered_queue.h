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

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "delivery/delivery_item.h"

namespace cdp_relay::delivery {

// A user key with its hash, computed once when an item is pushed, so that
// the user's state can be dropped later without hashing the key again.
struct UserKey {
  std::string text;
  size_t hash = 0;
};

// One user's state in the queue. Items point at it (DeliveryItem::queued_user)
// from push until release; it stays at the same address all that time.
struct QueuedUser {
  std::deque<DeliveryItem> pending;
  size_t pending_bytes = 0;
  int in_flight = 0;   // items of this user in batches not yet resolved
  bool ready = false;  // listed in the queue's ready list
  std::chrono::steady_clock::time_point ready_since{};
  const UserKey* key = nullptr;  // its key in the queue's map
};

class UserOrderedQueue {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  // Queues `item` behind its user's earlier items and points it at its
  // user's state (item.queued_user).
  void push(DeliveryItem&& item, time_point now);

  // Takes up to `max_events` items / `max_bytes` payload bytes from idle
  // users, oldest ready user first, into `batch`; marks those users busy.
  // `framing(n)` gives the bytes a batch of n events adds around payloads.
  // A single item is always taken even if it alone exceeds max_bytes (the
  // engine rejects such items before they are queued).
  template <typename Framing>
  void take_batch(size_t max_events, size_t max_bytes, Framing framing,
                  std::vector<DeliveryItem>& batch);

  // `item`, taken in a batch, has been resolved (delivered or dead-lettered).
  // When its user has no item left in flight it becomes idle again. An item
  // that was never queued (queued_user null) changes nothing.
  void release(const DeliveryItem& item, time_point now);

  // Items that could join a batch now, and their payload bytes.
  size_t ready_items() const { return ready_items_; }
  size_t ready_bytes() const { return ready_bytes_; }
  // When the oldest ready user became ready; nullopt when none is.
  std::optional<time_point> oldest_ready() const;

  // Every item held, ready or waiting behind a busy user.
  size_t queued_items() const { return queued_items_; }

 private:
  // Looks keys up by their stored hash: a key is hashed once per push.
  struct UserKeyRef {
    std::string_view text;
    size_t hash;
  };
  struct StoredHash {
    using is_transparent = void;
    size_t operator()(const UserKey& key) const { return key.hash; }
    size_t operator()(const UserKeyRef& key) const { return key.hash; }
  };
  struct SameKey {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.hash == b.hash && std::string_view(a.text) == std::string_view(b.text);
    }
  };
  using UserMap = std::unordered_map<UserKey, QueuedUser, StoredHash, SameKey>;

  void make_ready(QueuedUser& user, time_point now);
  void release(QueuedUser& user, time_point now);
  QueuedUser& user_state(const std::string& user_key);

  // Node-based map: QueuedUser addresses stay valid across rehashing, so the
  // ready list and queued items can point at them. A user with nothing
  // queued and nothing in flight has no state here.
  UserMap users_;
  // Map nodes of users that went idle, kept for the next new user: users
  // come and go with every batch, and a fresh node costs three allocations
  // (the node, the deque's map and its first block). Bounded by kSpareUsers.
  static constexpr size_t kSpareUsers = 4096;
  std::vector<UserMap::node_type> spare_users_;
  std::deque<QueuedUser*> ready_;
  size_t ready_items_ = 0;
  size_t ready_bytes_ = 0;
  size_t queued_items_ = 0;
};

template <typename Framing>
void UserOrderedQueue::take_batch(size_t max_events, size_t max_bytes, Framing framing,
                                  std::vector<DeliveryItem>& batch) {
  size_t bytes = 0;
  for (const DeliveryItem& item : batch) bytes += item.payload.size();
  // Grown once, not by doubling: moving items on each growth is a cost per event.
  batch.reserve(batch.size() + std::min(max_events, ready_items_));
  while (!ready_.empty() && batch.size() < max_events) {
    QueuedUser& user = *ready_.front();
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
