// AIMD concurrency limit; the algorithm and its reasons are in the class
// comment in adaptive_concurrency.h.
#include "delivery/adaptive_concurrency.h"

#include <algorithm>
#include <cmath>

namespace cdp_relay::delivery {
namespace {

// Sums of RTTs are capped so that a pathological RTT cannot overflow them.
constexpr int64_t kMaxSampleUs = int64_t{24} * 3600 * 1000 * 1000;  // one day
constexpr int64_t kMaxWindowSamples = 1'000'000;                    // 1e6 * kMaxSampleUs < 2^63

// Options are code, not YAML, but a NaN ratio would make the float-to-int
// conversion in close_window() undefined, so out-of-range values fall back to
// the defaults.
AdaptiveConcurrencyOptions sanitize(AdaptiveConcurrencyOptions o) {
  const AdaptiveConcurrencyOptions defaults;
  if (!(o.decrease_ratio > 0.0 && o.decrease_ratio < 1.0)) {
    o.decrease_ratio = defaults.decrease_ratio;
  }
  if (!(o.rtt_threshold > 1.0 && o.rtt_threshold < 1e6)) o.rtt_threshold = defaults.rtt_threshold;
  if (!(o.ewma_alpha > 0.0 && o.ewma_alpha <= 1.0)) o.ewma_alpha = defaults.ewma_alpha;
  return o;
}

}  // namespace

AdaptiveConcurrency::AdaptiveConcurrency(const ConcurrencySettings& settings, const Clock& clock,
                                         AdaptiveConcurrencyOptions options)
    : clock_(clock),
      options_(sanitize(options)),
      max_(std::max(1, settings.max)),
      limit_(std::clamp(settings.initial, 1, max_)),
      window_start_(clock.now()),
      slow_start_(options_.slow_start) {}

bool AdaptiveConcurrency::try_acquire() {
  std::lock_guard<std::mutex> lock(mu_);
  if (in_flight_ >= limit_) {
    // Demand exceeded the limit: evidence for an increase.
    window_reached_limit_ = true;
    return false;
  }
  ++in_flight_;
  if (in_flight_ >= limit_) window_reached_limit_ = true;
  return true;
}

void AdaptiveConcurrency::release(Outcome outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  if (in_flight_ > 0) --in_flight_;
  if (outcome.back_pressure) {
    window_back_pressure_ = true;
  } else if (window_samples_ < kMaxWindowSamples) {
    window_rtt_sum_us_ += std::clamp<int64_t>(outcome.rtt.count(), 0, kMaxSampleUs);
    ++window_samples_;
  }
  const Clock::time_point now = clock_.now();
  if (now - window_start_ >= window_length()) close_window(now);
}

int AdaptiveConcurrency::limit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_;
}

int AdaptiveConcurrency::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

std::optional<std::chrono::microseconds> AdaptiveConcurrency::baseline_rtt() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!baseline_us_) return std::nullopt;
  return std::chrono::microseconds(static_cast<int64_t>(std::llround(*baseline_us_)));
}

std::chrono::milliseconds AdaptiveConcurrency::window_length() const {
  std::chrono::milliseconds length = options_.initial_window;
  if (baseline_us_) {
    length = std::chrono::milliseconds(static_cast<int64_t>(*baseline_us_ / 1000.0));
  }
  return std::clamp(length, options_.min_window,
                    std::max(options_.min_window, options_.max_window));
}

int64_t AdaptiveConcurrency::round_rtt(double rtt_us) const {
  const double granularity =
      static_cast<double>(std::max<int64_t>(1, options_.rtt_granularity.count()));
  return static_cast<int64_t>(std::floor(rtt_us / granularity + 0.5) * granularity);
}

void AdaptiveConcurrency::close_window(Clock::time_point now) {
  std::optional<int64_t> mean_us;
  if (window_samples_ > 0) {
    mean_us =
        round_rtt(static_cast<double>(window_rtt_sum_us_) / static_cast<double>(window_samples_));
  }

  const bool inflated = mean_us && baseline_us_ && baseline_samples_ >= options_.min_rtt_samples &&
                        static_cast<double>(*mean_us) >
                            static_cast<double>(round_rtt(*baseline_us_)) * options_.rtt_threshold;
  if (window_back_pressure_ || inflated) {
    // The small epsilon keeps 10 * 0.9 at 9, not 8.999... -> 8.
    const auto decreased =
        static_cast<int>(std::floor(static_cast<double>(limit_) * options_.decrease_ratio + 1e-9));
    limit_ = std::clamp(decreased, 1, std::max(1, limit_ - 1));
    slow_start_ = false;
  } else if (slow_start_ && window_reached_limit_ && mean_us && baseline_us_ &&
             static_cast<double>(*mean_us) <=
                 static_cast<double>(round_rtt(*baseline_us_)) * options_.rtt_threshold) {
    limit_ = std::min(max_, limit_ * 2);
  } else if (window_reached_limit_ && mean_us && baseline_us_ &&
             *mean_us <= round_rtt(*baseline_us_) && limit_ < max_) {
    ++limit_;
  }

  if (mean_us && !window_back_pressure_) {
    const double mean = static_cast<double>(*mean_us);
    baseline_us_ = baseline_us_
                       ? options_.ewma_alpha * mean + (1.0 - options_.ewma_alpha) * *baseline_us_
                       : mean;
    baseline_samples_ += window_samples_;
  }

  window_start_ = now;
  window_rtt_sum_us_ = 0;
  window_samples_ = 0;
  window_back_pressure_ = false;
  // Requests still in flight at the old limit keep the new window saturated.
  window_reached_limit_ = in_flight_ >= limit_;
}

}  // namespace cdp_relay::delivery
