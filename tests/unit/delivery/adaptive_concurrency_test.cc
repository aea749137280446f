// AIMD: additive increase only when saturated, one multiplicative decrease per
// window on back pressure or RTT inflation, floor 1, ceiling max. Time moves
// only through ManualClock.
#include "delivery/adaptive_concurrency.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "cdp_relay/clock.h"

namespace cdp_relay::delivery {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using Outcome = AdaptiveConcurrency::Outcome;

constexpr microseconds kRtt = milliseconds(100);
// Longer than any window the tests configure (max_window below).
constexpr milliseconds kPastWindowEnd = milliseconds(1'000);

Outcome ok(microseconds rtt = kRtt) { return Outcome{rtt, false}; }
Outcome back_pressure(microseconds rtt = kRtt) { return Outcome{rtt, true}; }

ConcurrencySettings settings(int initial, int max) {
  ConcurrencySettings s;
  s.initial = initial;
  s.max = max;
  return s;
}

AdaptiveConcurrencyOptions test_options(int64_t min_rtt_samples = 8) {
  AdaptiveConcurrencyOptions o;
  o.min_rtt_samples = min_rtt_samples;
  o.initial_window = milliseconds(1'000);
  o.min_window = milliseconds(10);
  o.max_window = milliseconds(1'000);
  o.slow_start = false;  // the additive phase; slow start has tests of its own
  return o;
}

AdaptiveConcurrencyOptions slow_start_options() {
  AdaptiveConcurrencyOptions o = test_options();
  o.slow_start = true;
  return o;
}

class AdaptiveConcurrencyTest : public ::testing::Test {
 protected:
  // One measurement window with exactly `use` requests: take `use` slots,
  // answer all but one, let the window end, answer the last (which closes the
  // window, so every response of this call lands in the same window).
  void run_window(AdaptiveConcurrency& ac, int use, Outcome outcome) {
    for (int i = 0; i < use; ++i) ASSERT_TRUE(ac.try_acquire()) << "slot " << i;
    for (int i = 0; i + 1 < use; ++i) ac.release(outcome);
    clock_.advance(kPastWindowEnd);
    ac.release(outcome);
  }
  // A window that fills every slot: evidence of demand above the limit.
  void run_saturated_window(AdaptiveConcurrency& ac, Outcome outcome = ok()) {
    run_window(ac, ac.limit(), outcome);
  }

  ManualClock clock_;
};

TEST_F(AdaptiveConcurrencyTest, StartsAtInitial) {
  AdaptiveConcurrency ac(settings(8, 64), clock_, test_options());
  EXPECT_EQ(ac.limit(), 8);
  EXPECT_EQ(ac.in_flight(), 0);
  EXPECT_EQ(ac.max_limit(), 64);
  EXPECT_EQ(ac.baseline_rtt(), std::nullopt);
}

TEST_F(AdaptiveConcurrencyTest, SettingsAreClamped) {
  EXPECT_EQ(AdaptiveConcurrency(settings(0, 8), clock_).limit(), 1);
  EXPECT_EQ(AdaptiveConcurrency(settings(100, 8), clock_).limit(), 8);
  AdaptiveConcurrency zero_max(settings(5, 0), clock_);
  EXPECT_EQ(zero_max.max_limit(), 1);
  EXPECT_EQ(zero_max.limit(), 1);
}

TEST_F(AdaptiveConcurrencyTest, SlotsAreBoundedByTheLimit) {
  AdaptiveConcurrency ac(settings(3, 10), clock_, test_options());
  EXPECT_TRUE(ac.try_acquire());
  EXPECT_TRUE(ac.try_acquire());
  EXPECT_TRUE(ac.try_acquire());
  EXPECT_FALSE(ac.try_acquire());
  EXPECT_EQ(ac.in_flight(), 3);
  ac.release(ok());
  EXPECT_EQ(ac.in_flight(), 2);
  EXPECT_TRUE(ac.try_acquire());
  EXPECT_FALSE(ac.try_acquire());
}

TEST_F(AdaptiveConcurrencyTest, UnmatchedReleaseNeverGoesNegative) {
  AdaptiveConcurrency ac(settings(2, 10), clock_, test_options());
  ac.release(ok());
  ac.release(back_pressure());
  EXPECT_EQ(ac.in_flight(), 0);
  EXPECT_TRUE(ac.try_acquire());
  EXPECT_TRUE(ac.try_acquire());
  EXPECT_FALSE(ac.try_acquire());
}

TEST_F(AdaptiveConcurrencyTest, FirstWindowOnlySeedsTheBaseline) {
  AdaptiveConcurrency ac(settings(4, 10), clock_, test_options());
  run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 4);  // saturated, but nothing to compare the RTT with
  EXPECT_EQ(ac.baseline_rtt(), kRtt);
}

TEST_F(AdaptiveConcurrencyTest, IncreasesByOnePerSaturatedWindow) {
  AdaptiveConcurrency ac(settings(4, 64), clock_, test_options());
  run_saturated_window(ac);
  for (int window = 1; window <= 5; ++window) {
    run_saturated_window(ac);
    EXPECT_EQ(ac.limit(), 4 + window);
  }
}

TEST_F(AdaptiveConcurrencyTest, RefusedAcquireCountsAsSaturation) {
  AdaptiveConcurrency ac(settings(4, 64), clock_, test_options());
  run_saturated_window(ac);
  // Three of four slots in use, then demand for two more: one fills the last
  // slot, the other is refused.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ac.try_acquire());
  EXPECT_FALSE(ac.try_acquire());
  for (int i = 0; i < 3; ++i) ac.release(ok());
  clock_.advance(kPastWindowEnd);
  ac.release(ok());
  EXPECT_EQ(ac.limit(), 5);
}

TEST_F(AdaptiveConcurrencyTest, NoIncreaseWithoutSaturation) {
  AdaptiveConcurrency ac(settings(4, 64), clock_, test_options());
  run_saturated_window(ac);
  for (int window = 0; window < 20; ++window) run_window(ac, 3, ok());
  EXPECT_EQ(ac.limit(), 4);
}

TEST_F(AdaptiveConcurrencyTest, NoIncreaseWhenRttIsAboveTheBaseline) {
  AdaptiveConcurrency ac(settings(4, 64), clock_, test_options());
  run_saturated_window(ac);
  run_saturated_window(ac, ok(milliseconds(130)));  // slower, not 2x slower
  EXPECT_EQ(ac.limit(), 4);
}

TEST_F(AdaptiveConcurrencyTest, NeverExceedsMax) {
  AdaptiveConcurrency ac(settings(4, 6), clock_, test_options());
  for (int window = 0; window < 20; ++window) run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 6);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(ac.try_acquire());
  EXPECT_FALSE(ac.try_acquire());
}

TEST_F(AdaptiveConcurrencyTest, BackPressureDecreasesOncePerWindow) {
  AdaptiveConcurrency ac(settings(20, 64), clock_, test_options());
  run_window(ac, 1, ok());
  // Twenty 429s in one window: one reaction, 20 -> 18, not 20 * 0.9^20.
  run_window(ac, 20, back_pressure());
  EXPECT_EQ(ac.limit(), 18);
  run_window(ac, 18, back_pressure());
  EXPECT_EQ(ac.limit(), 16);  // floor(16.2)
  run_window(ac, 16, back_pressure());
  EXPECT_EQ(ac.limit(), 14);  // floor(14.4)
}

TEST_F(AdaptiveConcurrencyTest, OneBackPressureAmongSuccessesStillDecreases) {
  AdaptiveConcurrency ac(settings(10, 64), clock_, test_options());
  run_window(ac, 1, ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ac.try_acquire());
  ac.release(back_pressure());
  for (int i = 0; i < 8; ++i) ac.release(ok());
  clock_.advance(kPastWindowEnd);
  ac.release(ok());
  EXPECT_EQ(ac.limit(), 9);  // saturated, but back pressure wins over increase
}

TEST_F(AdaptiveConcurrencyTest, BackPressureInTheFirstWindowDecreases) {
  AdaptiveConcurrency ac(settings(10, 64), clock_, test_options());
  run_window(ac, 5, back_pressure(milliseconds(30'000)));
  EXPECT_EQ(ac.limit(), 9);
  // Back-pressure RTTs (timeouts) never enter the baseline.
  EXPECT_EQ(ac.baseline_rtt(), std::nullopt);
  run_window(ac, 2, ok());
  EXPECT_EQ(ac.baseline_rtt(), kRtt);
}

TEST_F(AdaptiveConcurrencyTest, FloorIsOne) {
  AdaptiveConcurrency ac(settings(3, 64), clock_, test_options());
  run_window(ac, 3, back_pressure());
  EXPECT_EQ(ac.limit(), 2);  // floor(2.7)
  run_window(ac, 2, back_pressure());
  EXPECT_EQ(ac.limit(), 1);  // floor(1.8)
  for (int window = 0; window < 10; ++window) {
    run_window(ac, 1, back_pressure());
    EXPECT_EQ(ac.limit(), 1);
  }
  EXPECT_TRUE(ac.try_acquire());
  EXPECT_FALSE(ac.try_acquire());
}

TEST_F(AdaptiveConcurrencyTest, RecoversAdditivelyAfterBackPressure) {
  AdaptiveConcurrency ac(settings(10, 64), clock_, test_options());
  run_saturated_window(ac);
  run_saturated_window(ac, back_pressure());
  EXPECT_EQ(ac.limit(), 9);
  run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 10);
  run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 11);
}

TEST_F(AdaptiveConcurrencyTest, LoweredLimitDrainsInFlightRequests) {
  AdaptiveConcurrency ac(settings(10, 64), clock_, test_options());
  run_window(ac, 1, ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ac.try_acquire());
  clock_.advance(kPastWindowEnd);
  ac.release(back_pressure());  // closes the window: 10 -> 9
  EXPECT_EQ(ac.limit(), 9);
  EXPECT_EQ(ac.in_flight(), 9);
  EXPECT_FALSE(ac.try_acquire());
  ac.release(ok());
  EXPECT_TRUE(ac.try_acquire());
  EXPECT_FALSE(ac.try_acquire());
}

TEST_F(AdaptiveConcurrencyTest, RttInflationDecreases) {
  AdaptiveConcurrency ac(settings(8, 64), clock_, test_options(/*min_rtt_samples=*/8));
  run_window(ac, 4, ok());
  run_window(ac, 4, ok());  // baseline 100 ms from 8 samples
  ASSERT_EQ(ac.baseline_rtt(), kRtt);
  run_window(ac, 4, ok(milliseconds(150)));  // 1.5x: tolerated
  EXPECT_EQ(ac.limit(), 8);
  ASSERT_EQ(ac.baseline_rtt(), milliseconds(120));  // 0.4 * 150 + 0.6 * 100
  run_window(ac, 4, ok(milliseconds(250)));  // > 2 * 120
  EXPECT_EQ(ac.limit(), 7);
}

TEST_F(AdaptiveConcurrencyTest, RttInflationNeedsEnoughSamples) {
  AdaptiveConcurrency ac(settings(8, 64), clock_, test_options(/*min_rtt_samples=*/8));
  run_window(ac, 4, ok());                   // baseline from 4 samples only
  run_window(ac, 4, ok(milliseconds(500)));  // 5x, but too little evidence
  EXPECT_EQ(ac.limit(), 8);
}

TEST_F(AdaptiveConcurrencyTest, InflationDecreasesOncePerWindowToo) {
  AdaptiveConcurrency ac(settings(20, 64), clock_, test_options(/*min_rtt_samples=*/1));
  run_window(ac, 1, ok());
  run_window(ac, 20, ok(milliseconds(1'000)));
  EXPECT_EQ(ac.limit(), 18);
}

TEST_F(AdaptiveConcurrencyTest, PermanentLatencyShiftIsRelearned) {
  AdaptiveConcurrency ac(settings(8, 64), clock_, test_options(/*min_rtt_samples=*/1));
  run_window(ac, 4, ok());
  run_window(ac, 4, ok(milliseconds(300)));  // 3x: decrease, baseline -> 180 ms
  EXPECT_EQ(ac.limit(), 7);
  EXPECT_EQ(ac.baseline_rtt(), milliseconds(180));
  for (int window = 0; window < 10; ++window) run_window(ac, 4, ok(milliseconds(300)));
  EXPECT_EQ(ac.limit(), 7);  // 300 ms is the new normal, not congestion
}

// The reason for rounding (see the class comment): jitter below the
// granularity must not block increases on an otherwise steady link.
TEST_F(AdaptiveConcurrencyTest, SubGranularityJitterDoesNotBlockIncreases) {
  AdaptiveConcurrency ac(settings(4, 64), clock_, test_options());
  run_saturated_window(ac);  // baseline 100 ms
  run_saturated_window(ac, ok(microseconds(100'300)));
  EXPECT_EQ(ac.limit(), 5);
}

TEST_F(AdaptiveConcurrencyTest, WithoutRoundingTheSameJitterBlocksIncreases) {
  AdaptiveConcurrencyOptions options = test_options();
  options.rtt_granularity = microseconds(1);
  AdaptiveConcurrency ac(settings(4, 64), clock_, options);
  run_saturated_window(ac);
  run_saturated_window(ac, ok(microseconds(100'300)));
  EXPECT_EQ(ac.limit(), 4);
}

TEST_F(AdaptiveConcurrencyTest, ConstantLatencyLinkGrowsToMax) {
  AdaptiveConcurrency ac(settings(1, 16), clock_, test_options(/*min_rtt_samples=*/1));
  for (int window = 0; window < 40; ++window) run_saturated_window(ac, ok(microseconds(33'333)));
  EXPECT_EQ(ac.limit(), 16);
}

TEST_F(AdaptiveConcurrencyTest, SlowStartDoublesPerSaturatedWindowUpToMax) {
  AdaptiveConcurrency ac(settings(8, 64), clock_, slow_start_options());
  run_saturated_window(ac);  // seeds the baseline
  EXPECT_EQ(ac.limit(), 8);
  run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 16);
  run_saturated_window(ac, ok(kRtt + milliseconds(30)));  // some queueing: still growing
  EXPECT_EQ(ac.limit(), 32);
  run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 64);
  run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 64) << "never above max";
}

TEST_F(AdaptiveConcurrencyTest, SlowStartNeedsSaturation) {
  AdaptiveConcurrency ac(settings(8, 64), clock_, slow_start_options());
  run_saturated_window(ac);
  run_window(ac, 4, ok());
  EXPECT_EQ(ac.limit(), 8);
}

TEST_F(AdaptiveConcurrencyTest, FirstCongestionSignalEndsSlowStartForGood) {
  AdaptiveConcurrency ac(settings(8, 64), clock_, slow_start_options());
  run_saturated_window(ac);
  run_saturated_window(ac);
  ASSERT_EQ(ac.limit(), 16);
  run_saturated_window(ac, back_pressure());
  EXPECT_EQ(ac.limit(), 14);  // floor(16 * 0.9)
  run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 15) << "additive from now on";
  run_saturated_window(ac);
  EXPECT_EQ(ac.limit(), 16);
}

TEST_F(AdaptiveConcurrencyTest, NoAdjustmentBeforeTheWindowEnds) {
  AdaptiveConcurrency ac(settings(10, 64), clock_, test_options());
  run_window(ac, 1, ok());  // baseline 100 ms: windows are 100 ms now
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(ac.try_acquire());
  clock_.advance(milliseconds(99));
  for (int i = 0; i < 10; ++i) ac.release(back_pressure());
  EXPECT_EQ(ac.limit(), 10);  // window still open
  clock_.advance(milliseconds(1));
  ASSERT_TRUE(ac.try_acquire());
  ac.release(ok());
  EXPECT_EQ(ac.limit(), 9);
}

TEST_F(AdaptiveConcurrencyTest, PathologicalRttsAreHarmless) {
  AdaptiveConcurrency ac(settings(4, 8), clock_, test_options(/*min_rtt_samples=*/1));
  run_window(ac, 4, ok(microseconds(-5)));
  run_window(ac, 4, ok(microseconds(std::numeric_limits<int64_t>::max())));
  EXPECT_GE(ac.limit(), 1);
  EXPECT_LE(ac.limit(), 8);
  EXPECT_EQ(ac.in_flight(), 0);
}

TEST_F(AdaptiveConcurrencyTest, NonsenseOptionsFallBackToDefaults) {
  AdaptiveConcurrencyOptions options = test_options();
  options.decrease_ratio = std::numeric_limits<double>::quiet_NaN();
  options.rtt_threshold = -3;
  options.ewma_alpha = 7;
  AdaptiveConcurrency ac(settings(10, 64), clock_, options);
  run_window(ac, 1, ok());
  run_window(ac, 10, back_pressure());
  EXPECT_EQ(ac.limit(), 9);  // the default 0.9
}

}  // namespace
}  // namespace cdp_relay::delivery
