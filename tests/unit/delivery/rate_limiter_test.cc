// Token bucket: burst, refill under ManualClock, the wait it reports, and the
// unlimited setting.
#include "delivery/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "cdp_relay/clock.h"

namespace cdp_relay::delivery {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiterTest, ZeroMeansUnlimited) {
  ManualClock clock;
  RateLimiter limiter(0, clock);
  EXPECT_TRUE(limiter.unlimited());
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(limiter.try_acquire());
  EXPECT_EQ(limiter.time_until_available(), milliseconds(0));
}

TEST(RateLimiterTest, NonsenseRatesMeanUnlimited) {
  ManualClock clock;
  for (double rate : {-1.0, -std::numeric_limits<double>::infinity(),
                      std::numeric_limits<double>::infinity(),
                      std::numeric_limits<double>::quiet_NaN()}) {
    RateLimiter limiter(rate, clock);
    EXPECT_TRUE(limiter.unlimited()) << rate;
    for (int i = 0; i < 1'000; ++i) ASSERT_TRUE(limiter.try_acquire());
    EXPECT_EQ(limiter.time_until_available(), milliseconds(0));
  }
}

TEST(RateLimiterTest, StartsWithAFullBurst) {
  ManualClock clock;
  RateLimiter limiter(10, clock);
  EXPECT_FALSE(limiter.unlimited());
  EXPECT_EQ(limiter.burst(), 10);
  EXPECT_EQ(limiter.time_until_available(), milliseconds(0));
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.try_acquire()) << i;
  EXPECT_FALSE(limiter.try_acquire());
  EXPECT_EQ(limiter.time_until_available(), milliseconds(100));
}

TEST(RateLimiterTest, RefillsOneTokenPerInterval) {
  ManualClock clock;
  RateLimiter limiter(10, clock);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.try_acquire());
  clock.advance(milliseconds(99));
  EXPECT_FALSE(limiter.try_acquire());
  EXPECT_EQ(limiter.time_until_available(), milliseconds(1));
  clock.advance(milliseconds(1));
  EXPECT_EQ(limiter.time_until_available(), milliseconds(0));
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(milliseconds(250));
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  EXPECT_EQ(limiter.time_until_available(), milliseconds(50));
}

TEST(RateLimiterTest, RefillIsCappedAtTheBurst) {
  ManualClock clock;
  RateLimiter limiter(10, clock);
  clock.advance(std::chrono::hours(1));
  int admitted = 0;
  while (limiter.try_acquire()) ++admitted;
  EXPECT_EQ(admitted, 10);
}

TEST(RateLimiterTest, AdmitsBurstPlusRateTimesTime) {
  ManualClock clock;
  RateLimiter limiter(10, clock);
  int admitted = 0;
  for (int ms = 0; ms <= 10'000; ++ms) {
    while (limiter.try_acquire()) ++admitted;
    if (ms < 10'000) clock.advance(milliseconds(1));
  }
  EXPECT_EQ(admitted, 10 + 10 * 10);
}

TEST(RateLimiterTest, WaitingTheReportedTimeAlwaysSuffices) {
  ManualClock clock;
  RateLimiter limiter(3, clock);  // T = 333.333... ms, not a whole number
  for (int round = 0; round < 50; ++round) {
    while (limiter.try_acquire()) {
    }
    const milliseconds wait = limiter.time_until_available();
    ASSERT_GT(wait, milliseconds(0));
    ASSERT_LE(wait, milliseconds(334));
    clock.advance(wait);
    ASSERT_TRUE(limiter.try_acquire()) << "round " << round;
  }
}

TEST(RateLimiterTest, SlowRateHasABurstOfOne) {
  ManualClock clock;
  RateLimiter limiter(0.5, clock);
  EXPECT_EQ(limiter.burst(), 1);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  EXPECT_EQ(limiter.time_until_available(), milliseconds(2'000));
  clock.advance(milliseconds(1'999));
  EXPECT_FALSE(limiter.try_acquire());
  clock.advance(milliseconds(1));
  EXPECT_TRUE(limiter.try_acquire());
}

TEST(RateLimiterTest, FractionalRateRoundsTheBurstDown) {
  ManualClock clock;
  RateLimiter limiter(2.5, clock);  // burst 2, T = 400 ms
  EXPECT_EQ(limiter.burst(), 2);
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  EXPECT_EQ(limiter.time_until_available(), milliseconds(400));
}

TEST(RateLimiterTest, ExtremeRatesAreClamped) {
  ManualClock clock;
  RateLimiter tiny(1e-12, clock);  // one per day at most
  EXPECT_TRUE(tiny.try_acquire());
  EXPECT_FALSE(tiny.try_acquire());
  EXPECT_EQ(tiny.time_until_available(), std::chrono::hours(24));

  RateLimiter huge(1e15, clock);
  EXPECT_EQ(huge.burst(), 1'000'000'000);
  for (int i = 0; i < 100'000; ++i) ASSERT_TRUE(huge.try_acquire());
}

TEST(RateLimiterTest, IdleTimeBeforeFirstUseDoesNotOverfill) {
  ManualClock clock;
  RateLimiter limiter(2, clock);
  clock.advance(std::chrono::hours(10));
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_TRUE(limiter.try_acquire());
  EXPECT_FALSE(limiter.try_acquire());
  EXPECT_EQ(limiter.time_until_available(), milliseconds(500));
}

}  // namespace
}  // namespace cdp_relay::delivery
