// The pipeline's one wait: how long it sleeps for the deadlines it collected,
// and that a ready descriptor ends the sleep.
#include "util/wait_set.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "cdp_relay/clock.h"

namespace cdp_relay::util {
namespace {

using namespace std::chrono_literals;

TEST(WaitSetTest, SleepsUntilTheEarliestDeadlineRoundedUpAndCapped) {
  ManualClock clock;
  WaitSet wait;
  wait.reset(clock.now());
  EXPECT_FALSE(wait.deadline().has_value());
  EXPECT_EQ(wait.timeout(100ms), 100ms) << "nothing due: the cap";

  wait.wake_after(40ms);
  wait.wake_at(clock.now() + 70ms);  // later: ignored
  EXPECT_EQ(wait.timeout(100ms), 40ms);
  wait.wake_after(std::chrono::microseconds(2500));  // 2.5 ms: never wake early
  EXPECT_EQ(wait.timeout(100ms), 3ms);
  EXPECT_EQ(wait.timeout(1ms), 1ms) << "the cap wins when sooner";
}

TEST(WaitSetTest, DueOrPastDeadlineDoesNotSleep) {
  ManualClock clock;
  WaitSet wait;
  wait.reset(clock.now());
  wait.wake_at(clock.now() - 5ms);
  EXPECT_EQ(wait.timeout(100ms), 0ms);
  wait.reset(clock.now());
  wait.wake_now();
  EXPECT_EQ(wait.timeout(100ms), 0ms);
  wait.reset(clock.now());
  EXPECT_EQ(wait.timeout(100ms), 100ms) << "reset forgets the last turn's deadline";
}

TEST(WaitSetTest, AReadyPipeEndsTheWaitAndDrainEmptiesIt) {
  ManualClock clock;
  WakePipe pipe;
  WaitSet wait;
  wait.reset(clock.now());
  wait.watch(pipe.read_fd(), POLLIN);
  EXPECT_EQ(wait.wait(0ms), 0) << "nothing written yet";
  ASSERT_EQ(::write(pipe.write_fd(), "1", 1), 1);
  ASSERT_EQ(::write(pipe.write_fd(), "1", 1), 1);
  // A long cap: returning at all proves the descriptor woke it.
  EXPECT_EQ(wait.wait(60s), 1);
  pipe.drain();
  wait.reset(clock.now());
  wait.watch(pipe.read_fd(), POLLIN);
  EXPECT_EQ(wait.wait(0ms), 0) << "drained";
}

}  // namespace
}  // namespace cdp_relay::util
