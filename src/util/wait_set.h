// What the pipeline thread's one wait watches: file descriptors (the Kafka
// consumer's and producers' wake-up pipes, curl's sockets) and the earliest
// deadline (a batch's linger, a retry's backoff, curl's own timer, ...).
//
// Every stage that can have work later contributes through an `add_wait`
// method of its own; the loop collects them into one WaitSet per turn and
// sleeps once, in wait(), until a descriptor is ready or the deadline comes.
// A stage with work to do right now says so with wake_now(), and the wait
// does not sleep at all.
//
// Not thread-safe: built and used on the pipeline thread.
#pragma once

#include <poll.h>

#include <chrono>
#include <optional>
#include <vector>

namespace cdp_relay::util {

class WaitSet {
 public:
  // The steady clock's, as Clock::now() gives it (cdp_relay/clock.h, a layer
  // above util).
  using time_point = std::chrono::steady_clock::time_point;

  // Starts a new collection; deadlines given as durations count from `now`.
  void reset(time_point now);

  // Wake when `fd` is ready for `events` (POLLIN, POLLOUT).
  void watch(int fd, short events);
  // Wake no later than `deadline` / `delay` from now (the earliest wins).
  void wake_at(time_point deadline);
  void wake_after(std::chrono::nanoseconds delay) { wake_at(now_ + delay); }
  void wake_now() { wake_at(now_); }

  time_point now() const { return now_; }
  std::optional<time_point> deadline() const { return deadline_; }
  const std::vector<pollfd>& fds() const { return fds_; }

  // How long wait() sleeps at most: until the deadline (rounded up to whole
  // milliseconds, so a timer is never woken for early), capped at `max_wait`,
  // 0 when the deadline has passed.
  std::chrono::milliseconds timeout(std::chrono::milliseconds max_wait) const;

  // Sleeps in poll(2) for at most timeout(max_wait). Returns the number of
  // ready descriptors (0 on timeout or interruption by a signal).
  int wait(std::chrono::milliseconds max_wait);

 private:
  time_point now_{};
  std::optional<time_point> deadline_;
  std::vector<pollfd> fds_;
};

// A non-blocking pipe that librdkafka writes to when one of its queues goes
// from empty to non-empty (rd_kafka_queue_io_event_enable): the pipe's read
// end is what the wait watches. An eventfd would not do, librdkafka writes
// a single byte.
class WakePipe {
 public:
  // Throws std::runtime_error when no pipe can be made (startup only).
  WakePipe();
  ~WakePipe();
  WakePipe(const WakePipe&) = delete;
  WakePipe& operator=(const WakePipe&) = delete;

  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  // Empties the pipe. Call it before serving the queue, so that anything
  // queued after the serving writes again.
  void drain();

 private:
  int fds_[2] = {-1, -1};
};

}  // namespace cdp_relay::util
