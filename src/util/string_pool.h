// Recycled string buffers. The pipeline copies each encoded event into its
// delivery item's own string; once the event is delivered that buffer is
// handed to a later event instead of being freed and allocated again: one
// malloc/free pair fewer per event on the pipeline thread.
//
// Not thread-safe: one pool per thread (the pipeline loop's).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cdp_relay::util {

class StringPool {
 public:
  // Keeps spare buffers of at most `max_bytes` capacity in all, so a burst of
  // large events cannot stay resident.
  explicit StringPool(size_t max_bytes) : max_bytes_(max_bytes) {}

  // A string holding `contents`, in a recycled buffer when there is one.
  std::string take(std::string_view contents) {
    if (spare_.empty()) return std::string(contents);
    std::string text = std::move(spare_.back());
    spare_.pop_back();
    spare_bytes_ -= text.capacity();
    text.assign(contents);
    return text;
  }

  // Keeps `text`'s buffer for a later take(), if there is room.
  void give(std::string&& text) {
    if (spare_bytes_ + text.capacity() > max_bytes_) return;
    spare_bytes_ += text.capacity();
    spare_.push_back(std::move(text));
  }

  size_t spare() const { return spare_.size(); }
  size_t spare_bytes() const { return spare_bytes_; }

 private:
  size_t max_bytes_;
  size_t spare_bytes_ = 0;
  std::vector<std::string> spare_;
};

}  // namespace cdp_relay::util
