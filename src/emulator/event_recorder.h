// The emulator's record of accepted events: in memory (for tests) and,
// optionally, appended to a JSONL file (for the demo and operators).
//
// Invariants: a batch is recorded whole or not at all (append_batch takes the
// lock once), and every line is flushed before append_batch returns, so a
// reader of the file never sees an event the relay was not told was accepted.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace cdp_relay::emulator {

class EventRecorder {
 public:
  EventRecorder() = default;
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Opens `path` for appending (created if missing). An empty path records in
  // memory only. Returns false and sets `error` if the file cannot be opened.
  bool open(const std::string& path, std::string& error);
  // When false, lines are only counted and written to the file, not kept in
  // memory (for long benchmark runs). Default true.
  void set_keep_in_memory(bool keep);

  // Appends each line (one compact JSON value, no newline) in order.
  void append_batch(const std::vector<std::string>& lines);

  size_t count() const;
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::FILE* file_ = nullptr;          // guarded by mu_
  bool keep_in_memory_ = true;         // guarded by mu_
  size_t count_ = 0;                   // guarded by mu_
  std::vector<std::string> lines_;     // guarded by mu_
};

}  // namespace cdp_relay::emulator
