// Time and randomness, injected everywhere so that backoff, batching, AIMD and
// the circuit breaker are deterministic under test (STYLE.md "Tests").
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace cdp_relay {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Monotonic time for timers and durations.
  virtual time_point now() const = 0;
  // Wall-clock epoch milliseconds, for Retry-After HTTP-dates and latencies
  // measured from event timestamps.
  virtual int64_t wall_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  int64_t wall_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to. For tests.
class ManualClock final : public Clock {
 public:
  time_point now() const override { return now_; }
  int64_t wall_ms() const override { return wall_ms_; }
  void advance(std::chrono::milliseconds by) {
    now_ += by;
    wall_ms_ += by.count();
  }
  void set_wall_ms(int64_t wall_ms) { wall_ms_ = wall_ms; }

 private:
  time_point now_{std::chrono::hours(1)};
  int64_t wall_ms_ = 1'700'000'000'000;
};

class Random {
 public:
  virtual ~Random() = default;
  // A uniformly distributed double in [0, 1).
  virtual double uniform() = 0;
};

class SystemRandom final : public Random {
 public:
  SystemRandom() : engine_(std::random_device{}()) {}
  explicit SystemRandom(uint64_t seed) : engine_(seed) {}
  double uniform() override { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace cdp_relay
