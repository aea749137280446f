// `cdp-relay run --from-timestamp T [--group NAME] [--allow-live-group]`
// (app::apply_backfill_flags): what a back-fill changes in the config, and the
// usage errors that keep it off the live group and away from a mistyped T.
#include <gtest/gtest.h>

#include "app/run_command.h"

namespace cdp_relay::app {
namespace {

constexpr int64_t kNow = 1'764'806'400'000;        // 2025-12-04T00:00:00Z
constexpr int64_t kNov20 = 1'732'096'800'000;      // 2024-11-20T10:00:00Z

BackfillFlags flags(std::string from_timestamp, std::string group = "",
                    bool allow_live_group = false) {
  BackfillFlags result;
  result.from_timestamp = std::move(from_timestamp);
  result.group = std::move(group);
  result.allow_live_group = allow_live_group;
  return result;
}

RelayConfig live_config() {
  RelayConfig config;
  config.kafka.group_id = "cdp-relay";
  return config;
}

TEST(BackfillFlagsTest, NoFlagsChangeNothing) {
  RelayConfig config = live_config();
  EXPECT_EQ(apply_backfill_flags({}, config, kNow), std::nullopt);
  EXPECT_EQ(config.kafka.group_id, "cdp-relay");
  EXPECT_FALSE(config.kafka.start_from_timestamp_ms.has_value());
}

TEST(BackfillFlagsTest, DerivesItsOwnGroupFromTheLiveOneAndT) {
  for (const std::string t : {"2024-11-20T10:00:00Z", "2024-11-20T11:00:00+01:00",
                              "1732096800000"}) {
    RelayConfig config = live_config();
    EXPECT_EQ(apply_backfill_flags(flags(t), config, kNow), std::nullopt) << t;
    EXPECT_EQ(config.kafka.group_id, "cdp-relay-backfill-1732096800000") << t;
    EXPECT_EQ(config.kafka.start_from_timestamp_ms, std::optional<int64_t>(kNov20)) << t;
  }
}

TEST(BackfillFlagsTest, ExplicitGroupIsUsed) {
  RelayConfig config = live_config();
  EXPECT_EQ(apply_backfill_flags(flags("2024-11-20", "vidora-history"), config, kNow),
            std::nullopt);
  EXPECT_EQ(config.kafka.group_id, "vidora-history");
  EXPECT_EQ(config.kafka.start_from_timestamp_ms, std::optional<int64_t>(1'732'060'800'000));
}

TEST(BackfillFlagsTest, LiveGroupIsRefusedUnlessAllowed) {
  RelayConfig config = live_config();
  const auto error = apply_backfill_flags(flags("2024-11-20", "cdp-relay"), config, kNow);
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->find("live group"), std::string::npos) << *error;
  EXPECT_NE(error->find("--allow-live-group"), std::string::npos) << *error;
  EXPECT_FALSE(config.kafka.start_from_timestamp_ms.has_value()) << "config left untouched";

  EXPECT_EQ(apply_backfill_flags(flags("2024-11-20", "cdp-relay", true), config, kNow),
            std::nullopt);
  EXPECT_EQ(config.kafka.group_id, "cdp-relay");
  EXPECT_TRUE(config.kafka.start_from_timestamp_ms.has_value());
}

TEST(BackfillFlagsTest, BadTimestampsAreUsageErrorsWithTheReason) {
  struct Case {
    std::string t;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"yesterday", "expected ms since the epoch"},
           {"2024-13-01T00:00:00Z", "expected ms since the epoch"},
           {"-5", "expected ms since the epoch"},
           {"1732096800", "milliseconds, not seconds"},  // seconds given for ms
           {"1999-12-31T23:59:59Z", "before 2000-01-01"},
           {"2025-12-05T00:00:00Z", "in the future"},
       }) {
    RelayConfig config = live_config();
    const auto error = apply_backfill_flags(flags(c.t), config, kNow);
    ASSERT_TRUE(error.has_value()) << c.t;
    EXPECT_NE(error->find(c.reason), std::string::npos) << c.t << ": " << *error;
    EXPECT_NE(error->find("--from-timestamp \"" + c.t + "\""), std::string::npos) << *error;
    EXPECT_EQ(config.kafka.group_id, "cdp-relay");
    EXPECT_FALSE(config.kafka.start_from_timestamp_ms.has_value());
  }
}

}  // namespace
}  // namespace cdp_relay::app
