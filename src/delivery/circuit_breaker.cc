// Closed/open/half-open state machine; the rules are in circuit_breaker.h.
#include "delivery/circuit_breaker.h"

#include <algorithm>

namespace cdp_relay::delivery {

std::string_view to_string(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed: return "closed";
    case CircuitBreaker::State::kOpen: return "open";
    case CircuitBreaker::State::kHalfOpen: return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(const CircuitBreakerSettings& settings, const Clock& clock)
    : clock_(clock),
      failure_threshold_(std::max(1, settings.failure_threshold)),
      initial_open_(std::max(settings.initial_open, std::chrono::milliseconds(1))),
      max_open_(std::max(settings.max_open, initial_open_)) {}

bool CircuitBreaker::allow_request() {
  std::lock_guard<std::mutex> lock(mu_);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (clock_.now() < open_until_) return false;
      state_ = State::kHalfOpen;
      probe_in_flight_ = true;
      return true;
    case State::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::record_success() {
  std::lock_guard<std::mutex> lock(mu_);
  close();
}

void CircuitBreaker::record_failure() {
  std::lock_guard<std::mutex> lock(mu_);
  switch (state_) {
    case State::kClosed:
      if (++consecutive_failures_ >= failure_threshold_) {
        unavailable_since_ = clock_.now();
        open(unavailable_since_);
      }
      return;
    case State::kOpen:
      return;  // A late answer to a request sent before opening.
    case State::kHalfOpen:
      open(clock_.now());
      return;
  }
}

void CircuitBreaker::record_cancelled() {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == State::kHalfOpen) probe_in_flight_ = false;
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

bool CircuitBreaker::is_open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_ != State::kClosed;
}

std::chrono::milliseconds CircuitBreaker::open_for() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == State::kClosed) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - unavailable_since_);
}

std::chrono::milliseconds CircuitBreaker::retry_in() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != State::kOpen) return std::chrono::milliseconds(0);
  const auto left = open_until_ - clock_.now();
  if (left <= Clock::time_point::duration::zero()) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(left);
}

int CircuitBreaker::consecutive_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return consecutive_failures_;
}

void CircuitBreaker::open(Clock::time_point now) {
  // Cool-down k lasts initial * 2^(k-1), doubled by comparison so it cannot
  // overflow however many probes fail.
  std::chrono::milliseconds cool_down = initial_open_;
  for (int i = 0; i < opens_since_closed_ && cool_down < max_open_; ++i) {
    cool_down = cool_down > max_open_ / 2 ? max_open_ : cool_down * 2;
  }
  if (opens_since_closed_ < 64) ++opens_since_closed_;
  state_ = State::kOpen;
  probe_in_flight_ = false;
  open_until_ = now + std::min(cool_down, max_open_);
}

void CircuitBreaker::close() {
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  opens_since_closed_ = 0;
  probe_in_flight_ = false;
}

}  // namespace cdp_relay::delivery
