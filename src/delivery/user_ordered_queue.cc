#include "delivery/user_ordered_queue.h"

namespace cdp_relay::delivery {

QueuedUser& UserOrderedQueue::user_state(const std::string& user_key) {
  const UserKeyRef key{user_key, std::hash<std::string_view>{}(user_key)};
  auto it = users_.find(key);
  if (it != users_.end()) return it->second;
  if (spare_users_.empty()) {
    it = users_.try_emplace(UserKey{user_key, key.hash}).first;
  } else {
    UserMap::node_type node = std::move(spare_users_.back());
    spare_users_.pop_back();
    node.key().text = user_key;  // reuses the string's buffer when it fits
    node.key().hash = key.hash;
    it = users_.insert(std::move(node)).position;
  }
  it->second.key = &it->first;
  return it->second;
}

void UserOrderedQueue::push(DeliveryItem&& item, time_point now) {
  QueuedUser& user = user_state(item.user_key);
  const size_t size = item.payload.size();
  item.queued_user = &user;
  user.pending.push_back(std::move(item));
  user.pending_bytes += size;
  ++queued_items_;
  if (user.ready) {
    ++ready_items_;
    ready_bytes_ += size;
  } else if (user.in_flight == 0) {
    make_ready(user, now);
  }
}

void UserOrderedQueue::make_ready(QueuedUser& user, time_point now) {
  user.ready = true;
  user.ready_since = now;
  ready_items_ += user.pending.size();
  ready_bytes_ += user.pending_bytes;
  ready_.push_back(&user);
}

void UserOrderedQueue::release(const DeliveryItem& item, time_point now) {
  if (item.queued_user != nullptr) release(*item.queued_user, now);
}

void UserOrderedQueue::release(QueuedUser& user, time_point now) {
  // Only a user with an item in flight is busy; releasing any other changes
  // nothing (making a ready user ready again would list it twice).
  if (user.in_flight == 0) return;
  if (--user.in_flight > 0) return;
  if (!user.pending.empty()) {
    make_ready(user, now);
    return;
  }
  // Idle and empty: no state kept for it. Its node (an empty deque, zero
  // counters, not ready) is recycled for a later user.
  UserMap::node_type node = users_.extract(users_.find(*user.key));
  if (spare_users_.size() < kSpareUsers) spare_users_.push_back(std::move(node));
}

std::optional<UserOrderedQueue::time_point> UserOrderedQueue::oldest_ready() const {
  if (ready_.empty()) return std::nullopt;
  return ready_.front()->ready_since;
}

}  // namespace cdp_relay::delivery
