// /healthz and /readyz rules (obs::evaluate_liveness / evaluate_readiness)
// on hand-set state: no sockets, no sleeping.
#include "obs/health.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cdp_relay::obs {
namespace {

using namespace std::chrono_literals;

nlohmann::json body(const ProbeResult& result) { return nlohmann::json::parse(result.body); }

class HealthTest : public ::testing::Test {
 protected:
  HealthTest() : vidora_(state_.add_destination("vidora")) {
    state_.set_running(true);
    state_.heartbeat(now_);
    state_.set_in_group(true);
    state_.set_assigned_partitions(6);
  }
  HealthState state_;
  DestinationHealth& vidora_;
  HealthState::time_point now_ = HealthState::time_point(100h);
};

TEST_F(HealthTest, LiveWhileTheLoopRunsAndTurns) {
  EXPECT_TRUE(evaluate_liveness(state_, now_ + 5s, 60s).ok);
  EXPECT_EQ(body(evaluate_liveness(state_, now_, 60s))["status"], "ok");
  const ProbeResult stalled = evaluate_liveness(state_, now_ + 61s, 60s);
  EXPECT_FALSE(stalled.ok);
  EXPECT_NE(stalled.body.find("has not turned for 61 s"), std::string::npos) << stalled.body;
  state_.set_running(false);
  EXPECT_FALSE(evaluate_liveness(state_, now_, 60s).ok);
}

TEST_F(HealthTest, ReadyWhenInTheGroupAndDestinationsAreHealthy) {
  const ProbeResult result = evaluate_readiness(state_, 60s);
  EXPECT_TRUE(result.ok) << result.body;
  EXPECT_EQ(body(result)["assigned_partitions"], 6);
}

TEST_F(HealthTest, ReadyInTheGroupWithNoPartitionToTake) {
  state_.set_assigned_partitions(0);  // more members than partitions
  EXPECT_TRUE(evaluate_readiness(state_, 60s).ok);
}

TEST_F(HealthTest, NotReadyBeforeJoiningTheGroup) {
  state_.set_in_group(false);
  const ProbeResult result = evaluate_readiness(state_, 60s);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(body(result)["status"], "unavailable");
  EXPECT_EQ(body(result)["reasons"][0], "the consumer has not joined its group yet");
}

TEST_F(HealthTest, CircuitOpenTurnsUnreadyOnlyAfterTheLimit) {
  vidora_.circuit_open_ms = 60000;
  EXPECT_TRUE(evaluate_readiness(state_, 60s).ok) << "exactly the limit is still ready";
  vidora_.circuit_open_ms = 60001;
  const ProbeResult result = evaluate_readiness(state_, 60s);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.body.find("vidora: circuit open for 60 s (limit 60 s)"), std::string::npos)
      << result.body;
  vidora_.circuit_open_ms = 0;
  EXPECT_TRUE(evaluate_readiness(state_, 60s).ok);
}

TEST_F(HealthTest, AuthFailureTurnsUnreadyAtOnce) {
  vidora_.auth_failing = true;
  const ProbeResult result = evaluate_readiness(state_, 60s);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.body.find("vidora: the destination rejects the credentials"), std::string::npos);
}

TEST_F(HealthTest, EveryReasonIsListed) {
  state_.set_running(false);
  state_.set_in_group(false);
  vidora_.auth_failing = true;
  vidora_.circuit_open_ms = 120000;
  EXPECT_EQ(body(evaluate_readiness(state_, 60s))["reasons"].size(), 4u);
}

}  // namespace
}  // namespace cdp_relay::obs
