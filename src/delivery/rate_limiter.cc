// GCRA form of the token bucket; see rate_limiter.h for why.
#include "delivery/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace cdp_relay::delivery {
namespace {

constexpr double kNsPerSecond = 1e9;
constexpr int64_t kMaxIntervalNs = int64_t{86'400} * 1'000'000'000;  // one day

bool is_unlimited(double rate_per_s) { return !(rate_per_s > 0.0) || !std::isfinite(rate_per_s); }

int64_t burst_for(double rate_per_s) {
  if (is_unlimited(rate_per_s)) return 1;
  // Cap keeps (burst - 1) * T well inside int64 nanoseconds.
  return static_cast<int64_t>(std::clamp(std::floor(rate_per_s), 1.0, 1e9));
}

std::chrono::nanoseconds interval_for(double rate_per_s) {
  if (is_unlimited(rate_per_s)) return std::chrono::nanoseconds(0);
  const double ns = std::round(kNsPerSecond / rate_per_s);
  return std::chrono::nanoseconds(
      static_cast<int64_t>(std::clamp(ns, 1.0, static_cast<double>(kMaxIntervalNs))));
}

}  // namespace

RateLimiter::RateLimiter(double rate_per_s, const Clock& clock)
    : clock_(clock),
      rate_per_s_(rate_per_s),
      unlimited_(is_unlimited(rate_per_s)),
      burst_(burst_for(rate_per_s)),
      interval_(interval_for(rate_per_s)),
      // burst <= 1e9 and, when burst > 1, rate >= 2 so T <= 0.5 s: < 2^63 ns.
      tolerance_(interval_ * (burst_ - 1)),
      tat_(clock.now()) {}

bool RateLimiter::try_acquire() {
  if (unlimited_) return true;
  std::lock_guard<std::mutex> lock(mu_);
  const Clock::time_point now = clock_.now();
  const Clock::time_point tat = std::max(tat_, now);
  if (tat - now > tolerance_) return false;
  tat_ = tat + interval_;
  return true;
}

std::chrono::milliseconds RateLimiter::time_until_available() const {
  if (unlimited_) return std::chrono::milliseconds(0);
  std::lock_guard<std::mutex> lock(mu_);
  const Clock::time_point now = clock_.now();
  const auto wait = tat_ - tolerance_ - now;
  if (wait <= Clock::time_point::duration::zero()) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(wait);
}

}  // namespace cdp_relay::delivery
