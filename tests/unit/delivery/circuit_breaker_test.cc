// Circuit breaker state machine: closed -> open -> half-open (one probe) ->
// closed | open, with exponential cool-downs and the /readyz view.
#include "delivery/circuit_breaker.h"

#include <gtest/gtest.h>

#include <chrono>

#include "cdp_relay/clock.h"

namespace cdp_relay::delivery {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using State = CircuitBreaker::State;

CircuitBreakerSettings settings(int threshold = 3, milliseconds initial = seconds(1),
                                milliseconds max = seconds(8)) {
  CircuitBreakerSettings s;
  s.failure_threshold = threshold;
  s.initial_open = initial;
  s.max_open = max;
  return s;
}

class CircuitBreakerTest : public ::testing::Test {
 protected:
  void fail(CircuitBreaker& breaker, int times) {
    for (int i = 0; i < times; ++i) breaker.record_failure();
  }

  ManualClock clock_;
};

TEST_F(CircuitBreakerTest, StartsClosed) {
  CircuitBreaker breaker(settings(), clock_);
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_FALSE(breaker.is_open());
  EXPECT_TRUE(breaker.allow_request());
  EXPECT_TRUE(breaker.allow_request());
  EXPECT_EQ(breaker.open_for(), milliseconds(0));
  EXPECT_EQ(breaker.retry_in(), milliseconds(0));
  EXPECT_EQ(breaker.consecutive_failures(), 0);
}

TEST_F(CircuitBreakerTest, DefaultSettings) {
  CircuitBreaker breaker(clock_);
  fail(breaker, 4);
  EXPECT_EQ(breaker.state(), State::kClosed);
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_EQ(breaker.retry_in(), seconds(1));
}

TEST_F(CircuitBreakerTest, OpensAfterThresholdConsecutiveFailures) {
  CircuitBreaker breaker(settings(3), clock_);
  fail(breaker, 2);
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_EQ(breaker.consecutive_failures(), 2);
  EXPECT_TRUE(breaker.allow_request());
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_TRUE(breaker.is_open());
  EXPECT_FALSE(breaker.allow_request());
}

TEST_F(CircuitBreakerTest, SuccessResetsTheFailureCount) {
  CircuitBreaker breaker(settings(3), clock_);
  fail(breaker, 2);
  breaker.record_success();
  EXPECT_EQ(breaker.consecutive_failures(), 0);
  fail(breaker, 2);
  EXPECT_EQ(breaker.state(), State::kClosed);
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), State::kOpen);
}

TEST_F(CircuitBreakerTest, OpenRejectsUntilTheCoolDownEnds) {
  CircuitBreaker breaker(settings(1, seconds(1)), clock_);
  breaker.record_failure();
  EXPECT_EQ(breaker.retry_in(), seconds(1));
  clock_.advance(milliseconds(999));
  EXPECT_FALSE(breaker.allow_request());
  EXPECT_EQ(breaker.retry_in(), milliseconds(1));
  EXPECT_EQ(breaker.state(), State::kOpen);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(breaker.retry_in(), milliseconds(0));
  EXPECT_EQ(breaker.state(), State::kOpen);  // until someone asks
}

TEST_F(CircuitBreakerTest, HalfOpenAllowsASingleProbe) {
  CircuitBreaker breaker(settings(1), clock_);
  breaker.record_failure();
  clock_.advance(seconds(1));
  EXPECT_TRUE(breaker.allow_request());  // the probe
  EXPECT_EQ(breaker.state(), State::kHalfOpen);
  EXPECT_TRUE(breaker.is_open());
  EXPECT_FALSE(breaker.allow_request());
  clock_.advance(seconds(60));
  EXPECT_FALSE(breaker.allow_request());  // still waiting for the probe
  EXPECT_EQ(breaker.retry_in(), milliseconds(0));
}

TEST_F(CircuitBreakerTest, ProbeSuccessCloses) {
  CircuitBreaker breaker(settings(2), clock_);
  fail(breaker, 2);
  clock_.advance(seconds(1));
  ASSERT_TRUE(breaker.allow_request());
  breaker.record_success();
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_FALSE(breaker.is_open());
  EXPECT_EQ(breaker.open_for(), milliseconds(0));
  EXPECT_EQ(breaker.consecutive_failures(), 0);
  EXPECT_TRUE(breaker.allow_request());
  EXPECT_TRUE(breaker.allow_request());
  // A full threshold is needed to open again.
  breaker.record_failure();
  EXPECT_EQ(breaker.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, ProbeFailureReopensWithDoubledCoolDowns) {
  CircuitBreaker breaker(settings(1, seconds(1), seconds(8)), clock_);
  breaker.record_failure();
  const milliseconds expected[] = {seconds(1), seconds(2), seconds(4), seconds(8), seconds(8),
                                   seconds(8)};
  for (milliseconds cool_down : expected) {
    SCOPED_TRACE(cool_down.count());
    ASSERT_EQ(breaker.state(), State::kOpen);
    EXPECT_EQ(breaker.retry_in(), cool_down);
    clock_.advance(cool_down - milliseconds(1));
    EXPECT_FALSE(breaker.allow_request());
    clock_.advance(milliseconds(1));
    ASSERT_TRUE(breaker.allow_request());
    ASSERT_EQ(breaker.state(), State::kHalfOpen);
    breaker.record_failure();
  }
}

TEST_F(CircuitBreakerTest, CoolDownResetsAfterClosing) {
  CircuitBreaker breaker(settings(1, seconds(1), seconds(60)), clock_);
  breaker.record_failure();
  for (int i = 0; i < 3; ++i) {  // cool-downs 1, 2, 4 s
    clock_.advance(breaker.retry_in());
    ASSERT_TRUE(breaker.allow_request());
    breaker.record_failure();
  }
  EXPECT_EQ(breaker.retry_in(), seconds(8));
  clock_.advance(seconds(8));
  ASSERT_TRUE(breaker.allow_request());
  breaker.record_success();
  breaker.record_failure();
  EXPECT_EQ(breaker.retry_in(), seconds(1));
}

TEST_F(CircuitBreakerTest, ManyFailedProbesDoNotOverflowTheCoolDown) {
  CircuitBreaker breaker(settings(1, milliseconds(1), seconds(30)), clock_);
  breaker.record_failure();
  for (int i = 0; i < 1'000; ++i) {
    clock_.advance(breaker.retry_in());
    ASSERT_TRUE(breaker.allow_request());
    breaker.record_failure();
  }
  EXPECT_EQ(breaker.retry_in(), seconds(30));
}

TEST_F(CircuitBreakerTest, OpenForCountsFromTheFirstOpeningAcrossProbes) {
  CircuitBreaker breaker(settings(1, seconds(1), seconds(8)), clock_);
  clock_.advance(seconds(5));
  breaker.record_failure();
  EXPECT_EQ(breaker.open_for(), milliseconds(0));
  clock_.advance(milliseconds(700));
  EXPECT_EQ(breaker.open_for(), milliseconds(700));
  clock_.advance(milliseconds(300));
  ASSERT_TRUE(breaker.allow_request());
  EXPECT_EQ(breaker.open_for(), seconds(1));  // half-open is still unavailable
  breaker.record_failure();
  clock_.advance(seconds(2));
  EXPECT_EQ(breaker.open_for(), seconds(3));
  ASSERT_TRUE(breaker.allow_request());
  breaker.record_success();
  EXPECT_EQ(breaker.open_for(), milliseconds(0));
}

TEST_F(CircuitBreakerTest, CancelledProbeFreesTheSlot) {
  CircuitBreaker breaker(settings(1), clock_);
  breaker.record_failure();
  clock_.advance(seconds(1));
  ASSERT_TRUE(breaker.allow_request());
  EXPECT_FALSE(breaker.allow_request());
  breaker.record_cancelled();
  EXPECT_EQ(breaker.state(), State::kHalfOpen);
  EXPECT_TRUE(breaker.allow_request());
  EXPECT_FALSE(breaker.allow_request());
}

TEST_F(CircuitBreakerTest, CancelOutsideHalfOpenIsANoOp) {
  CircuitBreaker breaker(settings(1), clock_);
  breaker.record_cancelled();
  EXPECT_EQ(breaker.state(), State::kClosed);
  breaker.record_failure();
  breaker.record_cancelled();
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_FALSE(breaker.allow_request());
}

TEST_F(CircuitBreakerTest, LateFailureWhileOpenDoesNotExtendTheCoolDown) {
  CircuitBreaker breaker(settings(2, seconds(4), seconds(60)), clock_);
  fail(breaker, 2);
  clock_.advance(seconds(1));
  fail(breaker, 10);  // answers to requests sent before the breaker opened
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_EQ(breaker.retry_in(), seconds(3));
}

TEST_F(CircuitBreakerTest, LateSuccessWhileOpenCloses) {
  CircuitBreaker breaker(settings(2), clock_);
  fail(breaker, 2);
  ASSERT_EQ(breaker.state(), State::kOpen);
  breaker.record_success();
  EXPECT_EQ(breaker.state(), State::kClosed);
  EXPECT_TRUE(breaker.allow_request());
}

TEST_F(CircuitBreakerTest, InvalidSettingsAreClamped) {
  CircuitBreaker breaker(settings(0, milliseconds(0), milliseconds(0)), clock_);
  breaker.record_failure();  // threshold 0 behaves as 1
  EXPECT_EQ(breaker.state(), State::kOpen);
  EXPECT_EQ(breaker.retry_in(), milliseconds(1));
  clock_.advance(milliseconds(1));
  EXPECT_TRUE(breaker.allow_request());
}

TEST_F(CircuitBreakerTest, StateNames) {
  EXPECT_EQ(to_string(State::kClosed), "closed");
  EXPECT_EQ(to_string(State::kOpen), "open");
  EXPECT_EQ(to_string(State::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace cdp_relay::delivery
