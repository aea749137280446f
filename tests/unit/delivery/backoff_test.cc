// Full-jitter exponential backoff: bounds per attempt, overflow safety,
// Retry-After honoured in full, the auth-hold delay.
#include "delivery/backoff.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <optional>
#include <string>

#include "cdp_relay/clock.h"
#include "delivery/retry_after.h"

namespace cdp_relay::delivery {
namespace {

using std::chrono::milliseconds;

// Returns the same value every time; the value is settable between draws.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(double value) : value_(value) {}
  double uniform() override {
    ++draws_;
    return value_;
  }
  void set(double value) { value_ = value; }
  int draws() const { return draws_; }

 private:
  double value_;
  int draws_ = 0;
};

RetrySettings settings(int64_t initial_ms, int64_t max_ms) {
  RetrySettings s;
  s.initial_backoff_ms = initial_ms;
  s.max_backoff_ms = max_ms;
  return s;
}

TEST(BackoffTest, CeilingDoublesUntilTheCap) {
  FixedRandom random(0.0);
  const Backoff backoff(settings(200, 30'000), random);
  EXPECT_EQ(backoff.ceiling(0), milliseconds(200));
  EXPECT_EQ(backoff.ceiling(1), milliseconds(400));
  EXPECT_EQ(backoff.ceiling(2), milliseconds(800));
  EXPECT_EQ(backoff.ceiling(3), milliseconds(1'600));
  EXPECT_EQ(backoff.ceiling(7), milliseconds(25'600));
  EXPECT_EQ(backoff.ceiling(8), milliseconds(30'000));  // 51'200 capped
  EXPECT_EQ(backoff.ceiling(9), milliseconds(30'000));
}

TEST(BackoffTest, NegativeAttemptCountsAsZero) {
  FixedRandom random(0.0);
  const Backoff backoff(settings(200, 30'000), random);
  EXPECT_EQ(backoff.ceiling(-1), milliseconds(200));
  EXPECT_EQ(backoff.ceiling(std::numeric_limits<int>::min()), milliseconds(200));
}

TEST(BackoffTest, HugeAttemptsDoNotOverflow) {
  FixedRandom random(0.999);
  Backoff backoff(settings(200, 30'000), random);
  for (int attempt :
       {30, 31, 32, 62, 63, 64, 65, 1'000, 1'000'000, std::numeric_limits<int>::max()}) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    EXPECT_EQ(backoff.ceiling(attempt), milliseconds(30'000));
    EXPECT_EQ(backoff.next_delay(attempt), milliseconds(29'970));
  }
}

TEST(BackoffTest, HugeSettingsDoNotOverflow) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  FixedRandom random(0.999999);
  Backoff backoff(settings(kMax / 3, kMax), random);
  EXPECT_EQ(backoff.ceiling(0), milliseconds(kMax / 3));
  EXPECT_EQ(backoff.ceiling(1), milliseconds(kMax / 3 * 2));
  EXPECT_EQ(backoff.ceiling(2), milliseconds(kMax));
  EXPECT_EQ(backoff.ceiling(std::numeric_limits<int>::max()), milliseconds(kMax));
  random.set(1.0);  // out of contract, the worst case for the double conversion
  EXPECT_EQ(backoff.next_delay(100), milliseconds(kMax));
  random.set(0.999999);
  const milliseconds delay = backoff.next_delay(100);
  EXPECT_GT(delay.count(), 0);
  EXPECT_LE(delay.count(), kMax);
}

TEST(BackoffTest, FullJitterBoundsForManyAttempts) {
  FixedRandom random(0.0);
  Backoff backoff(settings(200, 30'000), random);
  for (int attempt = 0; attempt < 100; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    const int64_t ceiling = backoff.ceiling(attempt).count();
    random.set(0.0);
    EXPECT_EQ(backoff.next_delay(attempt), milliseconds(0));
    random.set(0.5);
    EXPECT_EQ(backoff.next_delay(attempt), milliseconds(ceiling / 2));
    random.set(0.999);
    const milliseconds high = backoff.next_delay(attempt);
    EXPECT_LT(high.count(), ceiling);
    EXPECT_GE(high.count(), ceiling * 998 / 1000);
  }
}

TEST(BackoffTest, ExactJitteredValues) {
  FixedRandom random(0.5);
  Backoff backoff(settings(200, 30'000), random);
  EXPECT_EQ(backoff.next_delay(0), milliseconds(100));
  EXPECT_EQ(backoff.next_delay(1), milliseconds(200));
  EXPECT_EQ(backoff.next_delay(2), milliseconds(400));
  EXPECT_EQ(backoff.next_delay(20), milliseconds(15'000));
  random.set(0.999);
  EXPECT_EQ(backoff.next_delay(0), milliseconds(199));
  EXPECT_EQ(backoff.next_delay(20), milliseconds(29'970));
}

TEST(BackoffTest, OneDrawPerDelay) {
  FixedRandom random(0.25);
  Backoff backoff(settings(200, 30'000), random);
  backoff.next_delay(3);
  backoff.next_delay(3, milliseconds(5'000));
  backoff.next_delay(3, std::nullopt);
  EXPECT_EQ(random.draws(), 3);
}

TEST(BackoffTest, RandomOutsideItsContractIsClamped) {
  FixedRandom random(-0.5);
  Backoff backoff(settings(200, 30'000), random);
  EXPECT_EQ(backoff.next_delay(0), milliseconds(0));
  random.set(7.0);
  EXPECT_EQ(backoff.next_delay(0), milliseconds(200));
  random.set(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(backoff.next_delay(0), milliseconds(0));
  random.set(std::numeric_limits<double>::infinity());
  EXPECT_EQ(backoff.next_delay(0), milliseconds(200));
}

TEST(BackoffTest, RetryAfterIsAFloor) {
  FixedRandom random(0.5);
  Backoff backoff(settings(200, 30'000), random);
  // The server's wait wins when it is longer than the jitter...
  EXPECT_EQ(backoff.next_delay(0, milliseconds(5'000)), milliseconds(5'000));
  // ... the jitter wins when it is longer than the server's wait ...
  EXPECT_EQ(backoff.next_delay(10, milliseconds(5'000)), milliseconds(15'000));
  // ... and "retry now" still backs off.
  EXPECT_EQ(backoff.next_delay(0, milliseconds(0)), milliseconds(100));
  EXPECT_EQ(backoff.next_delay(0, std::nullopt), milliseconds(100));
}

TEST(BackoffTest, RetryAfterAboveMaxBackoffIsHonoured) {
  FixedRandom random(0.999);
  Backoff backoff(settings(200, 30'000), random);
  EXPECT_EQ(backoff.next_delay(0, milliseconds(120'000)), milliseconds(120'000));
  EXPECT_EQ(backoff.next_delay(50, milliseconds(3'600'000)), milliseconds(3'600'000));
}

TEST(BackoffTest, RetryAfterIsCappedOnlyAtOneHour) {
  FixedRandom random(0.0);
  Backoff backoff(settings(200, 30'000), random);
  EXPECT_EQ(backoff.next_delay(0, milliseconds(3'600'001)), kMaxRetryAfter);
  EXPECT_EQ(backoff.next_delay(0, milliseconds(std::numeric_limits<int64_t>::max())),
            kMaxRetryAfter);
  EXPECT_EQ(backoff.next_delay(0, milliseconds(-5'000)), milliseconds(0));
}

TEST(BackoffTest, RetryAfterStraightFromTheHeader) {
  FixedRandom random(0.5);
  Backoff backoff(settings(200, 30'000), random);
  const int64_t now_ms = 784'111'777'000 - 90'000;
  EXPECT_EQ(backoff.next_delay(0, parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now_ms)),
            milliseconds(90'000));
  EXPECT_EQ(backoff.next_delay(0, parse_retry_after("garbage", now_ms)), milliseconds(100));
}

TEST(BackoffTest, AuthHoldDelayIsTheConfiguredFixedWait) {
  FixedRandom random(0.0);
  const Backoff by_default(settings(200, 5'000), random);
  EXPECT_EQ(by_default.auth_hold_delay(), milliseconds(30'000));  // RetrySettings default
  RetrySettings custom = settings(200, 5'000);
  custom.auth_hold_ms = 750;
  const Backoff configured(custom, random);
  EXPECT_EQ(configured.auth_hold_delay(), milliseconds(750));
  EXPECT_EQ(configured.auth_hold_delay(), milliseconds(750));  // fixed, not growing
  EXPECT_EQ(random.draws(), 0);  // not jittered
}

TEST(BackoffTest, InvalidSettingsAreClamped) {
  FixedRandom random(0.999);
  Backoff zero(settings(0, 0), random);
  EXPECT_EQ(zero.initial_backoff(), milliseconds(1));
  EXPECT_EQ(zero.max_backoff(), milliseconds(1));
  EXPECT_EQ(zero.ceiling(10), milliseconds(1));
  Backoff inverted(settings(500, 100), random);
  EXPECT_EQ(inverted.max_backoff(), milliseconds(500));
  EXPECT_EQ(inverted.ceiling(0), milliseconds(500));
  EXPECT_EQ(inverted.ceiling(5), milliseconds(500));
}

TEST(BackoffTest, DefaultSettingsWithARealRandomStayInBounds) {
  SystemRandom random(42);
  Backoff backoff(RetrySettings{}, random);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const milliseconds delay = backoff.next_delay(attempt % 40);
    EXPECT_GE(delay.count(), 0);
    EXPECT_LE(delay, backoff.ceiling(attempt % 40));
  }
}

}  // namespace
}  // namespace cdp_relay::delivery
