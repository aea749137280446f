// Full-jitter exponential backoff. Doubling is done by comparison against the
// cap, never by an unchecked shift or multiplication, so no attempt number can
// overflow.
#include "delivery/backoff.h"

#include <algorithm>
#include <cmath>

#include "delivery/retry_after.h"

namespace cdp_relay::delivery {

Backoff::Backoff(const RetrySettings& settings, Random& random)
    : initial_(std::max<int64_t>(1, settings.initial_backoff_ms)),
      max_(std::max<int64_t>(initial_.count(), settings.max_backoff_ms)),
      auth_hold_(std::max<int64_t>(1, settings.auth_hold_ms)),
      random_(random) {}

std::chrono::milliseconds Backoff::ceiling(int attempt) const {
  int64_t value = initial_.count();
  const int64_t cap = max_.count();
  // At most 63 doublings can matter: initial >= 1 and cap < 2^63.
  for (int i = 0; i < attempt && value < cap; ++i) {
    value = value > cap / 2 ? cap : value * 2;
  }
  return std::chrono::milliseconds(std::min(value, cap));
}

std::chrono::milliseconds Backoff::next_delay(int attempt) {
  const int64_t ceil_ms = ceiling(attempt).count();
  double u = random_.uniform();
  // Defend against a Random that breaks its [0, 1) contract (NaN included).
  if (!(u >= 0.0)) u = 0.0;
  if (u > 1.0) u = 1.0;
  // Compare in double before converting back: for a ceiling near 2^63 the
  // product could round up past INT64_MAX, and that conversion would be UB.
  const double ceil_d = static_cast<double>(ceil_ms);
  const double delay = std::floor(u * ceil_d);
  if (delay >= ceil_d) return std::chrono::milliseconds(ceil_ms);
  return std::chrono::milliseconds(static_cast<int64_t>(delay));
}

std::chrono::milliseconds Backoff::next_delay(
    int attempt, std::optional<std::chrono::milliseconds> retry_after) {
  const std::chrono::milliseconds jittered = next_delay(attempt);
  if (!retry_after) return jittered;
  // Retry-After is honoured in full (the server knows its own load), even above
  // max_backoff; only the one-hour sanity cap applies.
  const std::chrono::milliseconds server =
      std::clamp(*retry_after, std::chrono::milliseconds(0), kMaxRetryAfter);
  return std::max(jittered, server);
}

std::chrono::milliseconds Backoff::auth_hold_delay() const {
  return auth_hold_;
}

}  // namespace cdp_relay::delivery
