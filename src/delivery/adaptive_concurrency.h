// Adaptive concurrency (README "Delivery": AIMD on latency and 429/503),
// modelled on Vector's adaptive_concurrency controller.
//
// Owns: the current limit on concurrent requests to one destination and the
// count of requests in flight.
// Invariants:
//   - 1 <= limit() <= settings.max at all times.
//   - in_flight() never goes negative; try_acquire() never lets it exceed the
//     limit (it can exceed a limit that was lowered since; those requests
//     drain and no new one starts until in_flight() < limit()).
//   - The limit changes at most once per measurement window.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "cdp_relay/clock.h"
#include "delivery/delivery_config.h"

namespace cdp_relay::delivery {

// Tuning of the controller. Defaults follow Vector's simulations (decrease
// ratio 0.9, EWMA alpha 0.4); nothing here is a YAML key yet. Out-of-range
// ratios (including NaN) are replaced by their defaults.
struct AdaptiveConcurrencyOptions {
  // Factor applied to the limit on a decrease, rounded down. Range (0, 1).
  double decrease_ratio = 0.9;
  // A window whose mean RTT exceeds baseline * rtt_threshold counts as
  // implicit back pressure. Range > 1. Default 2.
  double rtt_threshold = 2.0;
  // Weight of the newest window in the RTT baseline. Range (0, 1].
  double ewma_alpha = 0.4;
  // RTT samples the baseline must rest on before RTT inflation alone can
  // lower the limit. Explicit back pressure needs none. Range >= 0.
  int64_t min_rtt_samples = 20;
  // RTTs are compared after rounding to this granularity. Range > 0.
  std::chrono::microseconds rtt_granularity = std::chrono::milliseconds(1);
  // Window length until a baseline exists.
  std::chrono::milliseconds initial_window = std::chrono::seconds(1);
  // Bounds of the window length, which otherwise equals the baseline RTT.
  std::chrono::milliseconds min_window = std::chrono::milliseconds(10);
  std::chrono::milliseconds max_window = std::chrono::seconds(10);
  // Slow start: until the first congestion signal (a decrease), a saturated
  // window without RTT inflation doubles the limit instead of adding one.
  bool slow_start = true;
};

// AIMD concurrency limit for one destination.
//
// Algorithm. Time is cut into measurement windows, each about one baseline RTT
// long (clamped to [min_window, max_window]; initial_window before any RTT is
// known). During a window the controller records:
//   - the RTT of each completed request that was not back pressure,
//   - whether any response was back pressure (429/503, timeout: the engine
//     decides, see is_back_pressure_status()),
//   - whether the limit was reached (a try_acquire() filled the last slot or
//     was refused), i.e. whether demand exceeded the limit.
// The window closes on the first release() at or after its end, and then:
//   1. back pressure, or (with a baseline of >= min_rtt_samples samples)
//      mean RTT > baseline * rtt_threshold
//        -> limit = max(1, floor(limit * decrease_ratio))       (multiplicative)
//   2. otherwise, if the limit was reached, and mean RTT <= baseline
//        -> limit = min(max, limit + 1)                          (additive)
//      except in slow start, before the first decrease: if the limit was
//      reached and mean RTT <= baseline * rtt_threshold
//        -> limit = min(max, limit * 2)                          (slow start)
//   3. the window's mean RTT, if it had any and no explicit back pressure,
//      enters the baseline: baseline = alpha * mean + (1 - alpha) * baseline.
// The first window only seeds the baseline (there is nothing to compare with)
// but still honours explicit back pressure.
//
// Why decreases are rate-limited to one per window: every response of a
// window answers a request sent at the same (old) limit. When a destination
// starts shedding load, a whole window's worth of requests gets 429 within a
// few milliseconds; reacting to each would take the limit from 64 to 1 for
// what is a single overload signal (0.9^40). One decrease per window is one
// reaction per round trip, as TCP congestion control does per RTT.
//
// Why slow start: one more request per round trip takes a healthy 100 ms
// destination from 8 to 64 requests in flight in about six seconds of
// saturated windows, and in practice much longer (any window with a mean RTT
// a millisecond over the baseline adds nothing). Doubling gets there in three
// windows; the first congestion signal ends it for good, as in TCP, and from
// then on the limit probes upwards one request at a time. During slow start
// the RTT may grow up to the inflation threshold without stopping growth:
// more requests in flight queue a little at the destination.
//
// Why the increase needs "limit reached": without demand above the limit, a
// fast RTT says nothing about whether the destination could take more, and the
// limit would drift up to max unopposed, then need many windows of overload to
// come back down.
//
// Why RTTs are smoothed and rounded: a single slow response is noise, so the
// decision uses a window's mean against an EWMA baseline, and inflation must
// be large (2x) before it counts. Rounding matters for equality: on a link
// with constant latency the window mean and the EWMA are mathematically equal,
// but integer averaging and floating-point smoothing leave them a few
// microseconds apart in either direction. Compared exactly, "mean <= baseline"
// would then fail about half the time, and a perfectly healthy link would stop
// growing (Vector's controller.rs notes the same self-throttling). Rounding
// both to rtt_granularity (1 ms) makes jitter below the granularity compare
// equal.
//
// The baseline is updated even in windows that decreased on RTT inflation, so
// a destination whose latency shifts up for good (a region failover) is
// re-learned after a few windows instead of pinning the limit at 1.
//
// Thread safety: all methods may be called from any thread; state is guarded
// by mu_. The clock is read under the lock.
class AdaptiveConcurrency {
 public:
  // The result of one request, reported to release().
  struct Outcome {
    // Time from sending the request to its response (or failure).
    std::chrono::microseconds rtt{0};
    // 429/503/timeout and the like. Its RTT is not recorded: a timeout's RTT
    // is the timeout, not the destination's latency.
    bool back_pressure = false;
  };

  // REQUIRES: settings.validate() passed; out-of-range values are clamped
  // (max to >= 1, initial into [1, max]). `clock` must outlive this object.
  AdaptiveConcurrency(const ConcurrencySettings& settings, const Clock& clock,
                      AdaptiveConcurrencyOptions options = {});

  AdaptiveConcurrency(const AdaptiveConcurrency&) = delete;
  AdaptiveConcurrency& operator=(const AdaptiveConcurrency&) = delete;

  // Takes a slot when in_flight() < limit(). Every true must be matched by
  // exactly one release().
  bool try_acquire();

  // Returns a slot and reports how the request went. A release() without a
  // matching try_acquire() is ignored for the count (in_flight stays >= 0)
  // but its outcome still counts.
  void release(Outcome outcome);

  int limit() const;
  int in_flight() const;
  int max_limit() const { return max_; }
  // The smoothed RTT baseline, once the first window with RTT samples closed.
  std::optional<std::chrono::microseconds> baseline_rtt() const;

 private:
  // REQUIRES: mu_ held.
  void close_window(Clock::time_point now);
  std::chrono::milliseconds window_length() const;
  int64_t round_rtt(double rtt_us) const;

  const Clock& clock_;
  const AdaptiveConcurrencyOptions options_;
  const int max_;

  mutable std::mutex mu_;
  int limit_;               // guarded by mu_
  int in_flight_ = 0;       // guarded by mu_
  // Baseline RTT in microseconds; nullopt until the first window with RTTs.
  std::optional<double> baseline_us_;  // guarded by mu_
  int64_t baseline_samples_ = 0;       // guarded by mu_
  // The current window.
  Clock::time_point window_start_;   // guarded by mu_
  int64_t window_rtt_sum_us_ = 0;    // guarded by mu_
  int64_t window_samples_ = 0;       // guarded by mu_
  bool window_back_pressure_ = false;  // guarded by mu_
  bool window_reached_limit_ = false;  // guarded by mu_
  bool slow_start_;                    // guarded by mu_; false after the first decrease
};

}  // namespace cdp_relay::delivery
