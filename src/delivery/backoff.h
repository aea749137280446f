// Backoff between delivery attempts of one batch (README "Delivery"):
// exponential backoff with full jitter.
//
// Owns: the delay before the next attempt, given how many attempts failed and
// what the server asked for.
// Invariants:
//   - next_delay(n) is in [0, ceiling(n)], where ceiling(n) =
//     min(max_backoff, initial_backoff * 2^n); no attempt number, however
//     large or negative, overflows.
//   - A Retry-After from the server is never shortened: the delay is at least
//     min(Retry-After, kMaxRetryAfter), even when that exceeds max_backoff.
//   - Stateless apart from the injected Random; how long a batch has been
//     retried in total (max_retry_duration) is the engine's business.
#pragma once

#include <chrono>
#include <optional>

#include "cdp_relay/clock.h"
#include "delivery/delivery_config.h"

namespace cdp_relay::delivery {

// Exponential backoff with full jitter, as in the AWS Architecture Blog post
// "Exponential Backoff And Jitter" (Brooker, 2015):
//
//   ceiling(n) = min(max_backoff, initial_backoff * 2^n)
//   delay(n)   = uniform(0, ceiling(n))
//
// Why full jitter: with many batches failing at the same moment (a destination
// outage hits every in-flight request at once), plain exponential backoff
// sends their retries in synchronized waves that re-create the overload. Full
// jitter spreads them over the whole interval; the AWS simulations show it
// needs the fewest calls and the least total time of the jitter variants.
// A delay may be 0: the next attempt still waits for a concurrency slot, the
// rate limiter and the circuit breaker.
//
// `attempt` counts failed attempts before this wait, from 0: after the first
// failure call next_delay(0), which draws from [0, initial_backoff].
//
// Not internally synchronized: as thread-safe as the injected Random (which is
// not). Use one Backoff per thread, or call it under the engine's lock.
class Backoff {
 public:

  // REQUIRES: settings.validate() passed (initial_backoff_ms > 0,
  // max_backoff_ms >= initial_backoff_ms). Out-of-range values are clamped
  // (initial to >= 1 ms, max to >= initial) rather than trusted.
  // `random` must outlive this object.
  Backoff(const RetrySettings& settings, Random& random);

  // The upper bound of the jittered delay for `attempt`; negative attempts
  // count as 0.
  std::chrono::milliseconds ceiling(int attempt) const;

  // A full-jitter delay for `attempt`: uniform in [0, ceiling(attempt)].
  std::chrono::milliseconds next_delay(int attempt);

  // The delay for `attempt` when the response may have carried Retry-After
  // (already parsed by parse_retry_after): max(jittered delay, Retry-After),
  // with the Retry-After part capped at kMaxRetryAfter only. Negative
  // Retry-After counts as 0.
  std::chrono::milliseconds next_delay(int attempt,
                                       std::optional<std::chrono::milliseconds> retry_after);

  // Fixed wait after 401/403 (kAuthHold): retry.auth_hold_ms (default 30 s).
  // Not jittered and not growing: the batch is held until credentials are
  // fixed, and a fixed period makes the recovery time predictable.
  std::chrono::milliseconds auth_hold_delay() const;

  std::chrono::milliseconds initial_backoff() const { return initial_; }
  std::chrono::milliseconds max_backoff() const { return max_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds auth_hold_;
  Random& random_;
};

}  // namespace cdp_relay::delivery
