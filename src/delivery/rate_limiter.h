// Optional request rate limit of one destination (README "Delivery"): an
// optional token-bucket rate limit.
//
// Owns: the token bucket of one destination.
// Invariants:
//   - Over any interval of length T, at most burst + rate_per_s * T requests
//     are admitted; burst = max(1, floor(rate_per_s)) tokens.
//   - The bucket starts full. A rate of 0 (or below, or not finite) means
//     unlimited: try_acquire() always succeeds and nothing waits.
//   - try_acquire() never blocks; time_until_available() says how long to
//     wait, so the engine can schedule instead of polling.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "cdp_relay/clock.h"

namespace cdp_relay::delivery {

// Token bucket, implemented in its "virtual scheduling" form (GCRA, ITU-T
// I.371), which is equivalent to a bucket refilled continuously at rate_per_s
// and capped at `burst` tokens but needs no floating-point token count.
//
// Each admitted request advances a theoretical arrival time (TAT) by one
// emission interval T = 1 s / rate_per_s. A request at time `now` is admitted
// when TAT - now <= (burst - 1) * T, i.e. when at least one token would be in
// the bucket; TAT never falls behind `now`, which is what caps the bucket at
// `burst`. All arithmetic is integer nanoseconds, so ManualClock tests are
// exact (rate 10/s admits one request per 100 ms, not one per 99.99...).
//
// T is clamped to [1 ns, 1 day]: rates above 1e9/s behave as 1e9/s, and rates
// below one per day as one per day.
//
// Thread safety: all methods may be called from any thread; state is guarded
// by mu_.
class RateLimiter {
 public:
  // `clock` must outlive this object.
  RateLimiter(double rate_per_s, const Clock& clock);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token if there is one.
  bool try_acquire();

  // 0 when a token is available now (or unlimited); otherwise how long until
  // one is, rounded up to whole milliseconds so that waiting that long always
  // suffices.
  std::chrono::milliseconds time_until_available() const;

  bool unlimited() const { return unlimited_; }
  double rate_per_s() const { return rate_per_s_; }
  int64_t burst() const { return burst_; }

 private:
  const Clock& clock_;
  const double rate_per_s_;
  const bool unlimited_;
  const int64_t burst_;
  const std::chrono::nanoseconds interval_;   // T
  const std::chrono::nanoseconds tolerance_;  // (burst - 1) * T

  mutable std::mutex mu_;
  Clock::time_point tat_;  // guarded by mu_
};

}  // namespace cdp_relay::delivery
