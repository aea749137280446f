// The headers of a replayed record: dead-letter metadata dropped, other
// headers kept in order, cdp.replay.count incremented, cdp.replay.from set.
#include "replay/replay_headers.h"

#include <gtest/gtest.h>

#include <limits>

namespace cdp_relay::replay {
namespace {

const RecordPosition kFrom{"raw-events.dlq", 0, 42};

// A dead letter as kafka_sinks::dead_letter_headers writes it, plus the
// producer's own headers around it.
Headers relay_dead_letter() {
  return {{"traceparent", "00-abc-def-01"},
          {"cdp.error.stage", "deliver"},
          {"cdp.error.reason", "retries_exhausted"},
          {"cdp.error.message", "HTTP 503"},
          {"cdp.error.destination", "vidora"},
          {"cdp.error.http_status", "503"},
          {"cdp.error.attempts", "12"},
          {"cdp.source.topic", "raw-events"},
          {"cdp.source.partition", "2"},
          {"cdp.source.offset", "99"},
          {"cdp.relay.version", "0.1.0"},
          {"x-team", "a"},
          {"x-team", "b"}};
}

TEST(ReplayHeadersTest, DropsDeadLetterMetadataAndKeepsTheRestInOrder) {
  const Headers headers = replay_headers(relay_dead_letter(), kFrom);
  const Headers expected = {{"traceparent", "00-abc-def-01"},
                            {"x-team", "a"},
                            {"x-team", "b"},
                            {"cdp.replay.count", "1"},
                            {"cdp.replay.from", "raw-events.dlq/0/42"}};
  EXPECT_EQ(headers, expected);
}

TEST(ReplayHeadersTest, IncrementsAPreviousCount) {
  Headers dead_letter = relay_dead_letter();
  dead_letter.emplace_back("cdp.replay.count", "2");
  dead_letter.emplace_back("cdp.replay.from", "old/0/1");
  const Headers headers = replay_headers(dead_letter, kFrom);
  EXPECT_EQ(header_value(headers, "cdp.replay.count"), "3");
  EXPECT_EQ(header_value(headers, "cdp.replay.from"), "raw-events.dlq/0/42");
  size_t counts = 0;
  for (const auto& [name, value] : headers) counts += name == "cdp.replay.count" ? 1 : 0;
  EXPECT_EQ(counts, 1u) << "the old count is replaced, not repeated";
}

TEST(ReplayHeadersTest, KeepsOtherCdpHeaders) {
  const Headers headers = replay_headers({{"cdp.tenant", "acme"}}, kFrom);
  EXPECT_EQ(header_value(headers, "cdp.tenant"), "acme");
}

TEST(ReplayCountTest, ParsesOnlyNonNegativeIntegers) {
  EXPECT_EQ(replay_count({}), 0);
  EXPECT_EQ(replay_count({{"cdp.replay.count", "7"}}), 7);
  EXPECT_EQ(replay_count({{"cdp.replay.count", "-3"}}), 0);
  EXPECT_EQ(replay_count({{"cdp.replay.count", "3x"}}), 0);
  EXPECT_EQ(replay_count({{"cdp.replay.count", ""}}), 0);
  EXPECT_EQ(replay_count({{"cdp.replay.count", "99999999999999999999999"}}), 0);
}

TEST(ReplayCountTest, AGarbledCountRestartsAtOne) {
  const Headers headers = replay_headers({{"cdp.replay.count", "many"}}, kFrom);
  EXPECT_EQ(header_value(headers, "cdp.replay.count"), "1");
}

TEST(ReplayCountTest, SaturatesInsteadOfOverflowing) {
  const std::string max = std::to_string(std::numeric_limits<int64_t>::max());
  const Headers headers = replay_headers({{"cdp.replay.count", max}}, kFrom);
  EXPECT_EQ(header_value(headers, "cdp.replay.count"), max);
}

TEST(HeaderValueTest, FirstValueOrFallback) {
  const Headers headers = {{"a", "1"}, {"a", "2"}};
  EXPECT_EQ(header_value(headers, "a"), "1");
  EXPECT_EQ(header_value(headers, "b", "(none)"), "(none)");
}

}  // namespace
}  // namespace cdp_relay::replay
