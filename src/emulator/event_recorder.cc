#include "emulator/event_recorder.h"

#include <cerrno>
#include <cstring>

namespace cdp_relay::emulator {

EventRecorder::~EventRecorder() {
  if (file_ != nullptr) std::fclose(file_);
}

bool EventRecorder::open(const std::string& path, std::string& error) {
  std::lock_guard lock(mu_);
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
  if (path.empty()) return true;
  file_ = std::fopen(path.c_str(), "ae");
  if (file_ == nullptr) {
    error = path + ": cannot open the record file: " + std::strerror(errno);
    return false;
  }
  return true;
}

void EventRecorder::set_keep_in_memory(bool keep) {
  std::lock_guard lock(mu_);
  keep_in_memory_ = keep;
}

void EventRecorder::append_batch(const std::vector<std::string>& lines) {
  std::lock_guard lock(mu_);
  for (const auto& line : lines) {
    if (file_ != nullptr) {
      std::fwrite(line.data(), 1, line.size(), file_);
      std::fputc('\n', file_);
    }
    if (keep_in_memory_) lines_.push_back(line);
  }
  count_ += lines.size();
  if (file_ != nullptr) std::fflush(file_);
}

size_t EventRecorder::count() const {
  std::lock_guard lock(mu_);
  return count_;
}

std::vector<std::string> EventRecorder::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

}  // namespace cdp_relay::emulator
