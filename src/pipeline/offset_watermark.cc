#include "pipeline/offset_watermark.h"

#include <algorithm>

namespace cdp_relay::pipeline {

void InflightMessage::detach_from_consumer() {
  if (!owner) return;
  // One allocation for both key and value.
  detached_ = std::make_unique<std::string>();
  detached_->reserve(key.size() + value.size());
  detached_->append(key).append(value);
  const std::string_view bytes = *detached_;
  key = bytes.substr(0, key.size());
  value = bytes.substr(key.size());
  owner.reset();
}

void InflightMessage::release_bytes() {
  owner.reset();
  detached_.reset();
  key = {};
  value = {};
}

void PartitionTracker::detach_from_consumer() {
  for (InflightMessage& message : inflight_) message.detach_from_consumer();
}

void PartitionTracker::detach_held_since_last_sweep() {
  if (newest_at_last_sweep_) {
    for (auto it = first_at_or_after(detached_below_);
         it != inflight_.end() && it->offset <= *newest_at_last_sweep_; ++it) {
      it->detach_from_consumer();  // a no-op for a resolved (released) one
    }
    detached_below_ = *newest_at_last_sweep_ + 1;
  }
  newest_at_last_sweep_.reset();
  if (!inflight_.empty()) newest_at_last_sweep_ = inflight_.back().offset;
}

std::deque<InflightMessage>::iterator PartitionTracker::first_at_or_after(int64_t offset) {
  return std::lower_bound(inflight_.begin(), inflight_.end(), offset,
                          [](const InflightMessage& m, int64_t o) { return m.offset < o; });
}

InflightMessage& PartitionTracker::track(int64_t offset) {
  InflightMessage& message = inflight_.emplace_back();
  message.offset = offset;
  ++unresolved_;
  return message;
}

InflightMessage* PartitionTracker::find(int64_t offset) {
  if (inflight_.empty() || offset < inflight_.front().offset ||
      offset > inflight_.back().offset) {
    return nullptr;  // released, or not consumed yet (every new message asks)
  }
  // Fast path: offsets are usually contiguous, so the message sits at
  // offset - front. This lookup runs once per output resolution, too often
  // for a search on every call.
  const auto guess = static_cast<uint64_t>(offset - inflight_.front().offset);
  if (guess < inflight_.size() && inflight_[guess].offset == offset) return &inflight_[guess];
  // Gaps (compaction, transaction markers): fall back to a binary search.
  auto it = first_at_or_after(offset);
  if (it == inflight_.end() || it->offset != offset) return nullptr;
  return &*it;
}

void PartitionTracker::add_output(int64_t offset) {
  if (InflightMessage* message = find(offset)) ++message->pending;
}

void PartitionTracker::seal(int64_t offset) {
  if (InflightMessage* message = find(offset)) {
    message->sealed = true;
    if (message->pending == 0) {
      on_resolved(*message);  // no output at all (all filtered), or all resolved already
    } else {
      inflight_bytes_ += message->key.size() + message->value.size();
    }
  }
  advance();
}

void PartitionTracker::resolve_output(int64_t offset) {
  InflightMessage* message = find(offset);
  if (message == nullptr || message->pending == 0) return;  // duplicate completion: ignore
  --message->pending;
  if (message->pending > 0 || !message->sealed) return;
  inflight_bytes_ -= message->key.size() + message->value.size();
  on_resolved(*message);
  advance();
}

void PartitionTracker::on_resolved(InflightMessage& message) {
  --unresolved_;
  message.release_bytes();
}

void PartitionTracker::advance() {
  while (!inflight_.empty() && inflight_.front().sealed && inflight_.front().pending == 0) {
    next_after_released_ = inflight_.front().offset + 1;
    inflight_.pop_front();
  }
}

std::optional<int64_t> PartitionTracker::committable() const {
  if (revoked_) return std::nullopt;
  if (!inflight_.empty()) {
    // The oldest unresolved message bounds the watermark...
    const int64_t oldest = inflight_.front().offset;
    // ...but when nothing has been released yet, nothing below it is ours to commit.
    if (!next_after_released_) return std::nullopt;
    return std::max(*next_after_released_, oldest);
  }
  return next_after_released_;
}

bool PartitionTracker::has_new_committable() const {
  auto offset = committable();
  return offset && (!stored_ || *offset > *stored_);
}

}  // namespace cdp_relay::pipeline
