// Circuit breaker of one destination (README "Delivery"): retries
// stay within a retry budget and under a circuit breaker.
//
// Owns: whether requests to the destination may be sent now, and since when
// it has been unavailable (for /readyz).
// Invariants:
//   - While open, events are NOT dropped, dead-lettered or counted as failed:
//     the breaker only tells the engine to hold its batches and wait
//     (retry_in()). Whether an event is eventually dead-lettered is decided
//     solely by max_retry_duration, never by the breaker.
//   - In half-open, at most one request (the probe) is allowed at a time.
//   - Cool-downs grow exponentially from initial_open to max_open and reset
//     when the breaker closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "cdp_relay/clock.h"

namespace cdp_relay::delivery {

struct CircuitBreakerSettings {
  // Consecutive failures that open the breaker. Default 5. Range >= 1.
  int failure_threshold = 5;
  // First cool-down after opening. Default 1 s. Range > 0.
  std::chrono::milliseconds initial_open = std::chrono::seconds(1);
  // Longest cool-down; each failed probe doubles the previous one up to this.
  // Default 60 s. Range >= initial_open.
  std::chrono::milliseconds max_open = std::chrono::seconds(60);
};

// Three-state breaker: closed -> open -> half-open -> closed | open.
//
//   closed     Every request is allowed. record_failure() counts consecutive
//              failures; record_success() resets the count. At
//              failure_threshold the breaker opens.
//   open       No request is allowed until the cool-down ends. The first
//              allow_request() after that moves to half-open and admits one
//              probe. Cool-down k (k = 1, 2, ...) since the breaker last
//              closed lasts min(max_open, initial_open * 2^(k-1)).
//   half-open  The probe is in flight; every other allow_request() is false.
//              Success closes the breaker; failure re-opens it with the next,
//              longer cool-down; record_cancelled() (the probe was never
//              answered, e.g. at shutdown) frees the probe slot without a
//              verdict, so the next allow_request() sends a new probe.
//
// What counts: the engine calls record_failure() for retryable responses
// (kRetry, including transport errors) and for auth hold (401/403), and
// record_success() for every other response (delivered, split, bisect, dead
// letter): a 400 proves the destination is up and accepting our credentials.
//
// Late results: requests sent while closed may answer after the breaker
// opened. A late success closes the breaker from any state (the destination
// evidently works, and waiting out a cool-down would only delay events). A
// late failure while open is ignored: the breaker is already open, and
// extending the cool-down for a request sent before it opened would punish
// the destination twice for one outage. In half-open any failure re-opens:
// results carry no identity, so a late failure cannot be told from the
// probe's, and erring towards waiting is the safe side.
//
// Why exponential cool-downs: a destination that is down for an hour would
// otherwise get a probe every initial_open; doubling keeps probes rare during
// long outages while recovering within initial_open after short ones.
//
// Thread safety: all methods may be called from any thread; state is guarded
// by mu_.
class CircuitBreaker {
 public:
  enum class State : uint8_t { kClosed, kOpen, kHalfOpen };

  // Out-of-range settings are clamped (threshold to >= 1, initial_open to
  // >= 1 ms, max_open to >= initial_open). `clock` must outlive this object.
  CircuitBreaker(const CircuitBreakerSettings& settings, const Clock& clock);
  // Default settings.
  explicit CircuitBreaker(const Clock& clock) : CircuitBreaker(CircuitBreakerSettings{}, clock) {}

  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Whether a request may be sent now. May move open -> half-open, in which
  // case this call's caller owns the probe and must report its result
  // (record_success, record_failure or record_cancelled).
  bool allow_request();

  void record_success();
  void record_failure();
  // The probe will never be answered; frees the half-open slot. No effect in
  // other states.
  void record_cancelled();

  // The stored state. An open breaker whose cool-down has ended still reports
  // kOpen until allow_request() moves it to half-open.
  State state() const;
  // True while not closed (open or half-open): the destination is unhealthy.
  bool is_open() const;
  // How long the destination has been unavailable: time since the breaker
  // left the closed state, across half-open probes; 0 when closed.
  std::chrono::milliseconds open_for() const;
  // How long until the next probe may be sent: 0 when closed, when the
  // cool-down has ended, or when half-open with the probe slot free; the rest
  // of the cool-down when open. When half-open with the probe in flight the
  // engine waits for the probe's result, not for a time, and this is 0.
  std::chrono::milliseconds retry_in() const;
  int consecutive_failures() const;

 private:
  // REQUIRES: mu_ held.
  void open(Clock::time_point now);
  void close();

  const Clock& clock_;
  const int failure_threshold_;
  const std::chrono::milliseconds initial_open_;
  const std::chrono::milliseconds max_open_;

  mutable std::mutex mu_;
  State state_ = State::kClosed;                // guarded by mu_
  int consecutive_failures_ = 0;                // guarded by mu_
  int opens_since_closed_ = 0;                  // guarded by mu_
  bool probe_in_flight_ = false;                // guarded by mu_
  Clock::time_point unavailable_since_{};       // guarded by mu_
  Clock::time_point open_until_{};              // guarded by mu_
};

std::string_view to_string(CircuitBreaker::State state);

}  // namespace cdp_relay::delivery
