// Log levels and the rate limiting of repeated warnings/errors (obs/log.h).
// Lines go to a capturing sink; time comes from a ManualClock.
#include "obs/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cdp_relay::obs {
namespace {

using namespace std::chrono_literals;

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_sink([this](std::string_view line) { lines_.emplace_back(line); });
    set_log_clock(&clock_);
    set_log_rate_limit(3, 10s);
    set_min_log_level(LogLevel::kInfo);
  }
  void TearDown() override {
    set_log_sink({});
    set_log_clock(nullptr);
    set_log_rate_limit(10, 60s);
    set_min_log_level(LogLevel::kInfo);
  }
  nlohmann::json line(size_t i) const { return nlohmann::json::parse(lines_.at(i)); }

  ManualClock clock_;
  std::vector<std::string> lines_;
};

TEST_F(LogTest, LinesAreJsonWithLevelMessageAndFields) {
  log(LogLevel::kInfo, "relay started", {{"group_id", "g"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(line(0)["level"], "info");
  EXPECT_EQ(line(0)["msg"], "relay started");
  EXPECT_EQ(line(0)["group_id"], "g");
  EXPECT_TRUE(line(0)["ts_ms"].is_number_integer());
  EXPECT_EQ(lines_[0].back(), '\n');
}

TEST_F(LogTest, LinesBelowTheMinimumLevelAreDropped) {
  set_min_log_level(LogLevel::kWarn);
  log(LogLevel::kDebug, "d");
  log(LogLevel::kInfo, "i");
  log(LogLevel::kWarn, "w");
  log(LogLevel::kError, "e");
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(line(0)["level"], "warn");
  EXPECT_EQ(line(1)["level"], "error");
}

TEST_F(LogTest, LevelNamesParse) {
  EXPECT_EQ(log_level_from("debug"), LogLevel::kDebug);
  EXPECT_EQ(log_level_from("warning"), LogLevel::kWarn);
  EXPECT_EQ(log_level_from("error"), LogLevel::kError);
  EXPECT_FALSE(log_level_from("verbose"));
}

TEST_F(LogTest, RepeatedErrorsAreLimitedPerKeyAndTheSuppressedCountIsReported) {
  for (int i = 0; i < 10; ++i) log(LogLevel::kError, "destination answered an error status");
  log(LogLevel::kError, "another key");
  ASSERT_EQ(lines_.size(), 4u) << "3 of the repeated key, 1 of the other";
  EXPECT_EQ(line(3)["msg"], "another key");
  clock_.advance(10s);
  log(LogLevel::kError, "destination answered an error status");
  ASSERT_EQ(lines_.size(), 5u);
  EXPECT_EQ(line(4)["suppressed"], 7);
  // The count restarts with the new window.
  log(LogLevel::kError, "destination answered an error status");
  EXPECT_FALSE(line(5).contains("suppressed"));
}

TEST_F(LogTest, InfoLinesAreNotRateLimited) {
  for (int i = 0; i < 10; ++i) log(LogLevel::kInfo, "progress");
  EXPECT_EQ(lines_.size(), 10u);
}

}  // namespace
}  // namespace cdp_relay::obs
