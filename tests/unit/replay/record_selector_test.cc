// Which dead letters a replay takes: --filter parsing and matching (AND over
// header names, OR within one), --since/--until parsing and the window.
#include "replay/record_selector.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cdp_relay::replay {
namespace {

HeaderFilter filter_of(std::initializer_list<const char*> arguments) {
  HeaderFilter filter;
  for (const char* argument : arguments) {
    auto error = filter.add(argument);
    EXPECT_FALSE(error) << argument << ": " << error.value_or("");
  }
  return filter;
}

Headers dead_letter(const std::string& reason, const std::string& destination = "vidora",
                    const std::string& status = "500") {
  return {{"cdp.error.stage", "deliver"},
          {"cdp.error.reason", reason},
          {"cdp.error.destination", destination},
          {"cdp.error.http_status", status}};
}

TEST(HeaderFilterTest, EmptyFilterMatchesEverything) {
  HeaderFilter filter;
  EXPECT_TRUE(filter.empty());
  EXPECT_TRUE(filter.matches({}));
  EXPECT_TRUE(filter.matches(dead_letter("client_error")));
  EXPECT_EQ(filter.describe(), "(none)");
}

TEST(HeaderFilterTest, ExactValueOfAFullHeaderName) {
  const HeaderFilter filter = filter_of({"cdp.error.reason=retries_exhausted"});
  EXPECT_TRUE(filter.matches(dead_letter("retries_exhausted")));
  EXPECT_FALSE(filter.matches(dead_letter("rejected_by_destination")));
  EXPECT_FALSE(filter.matches({})) << "a missing header does not match";
}

TEST(HeaderFilterTest, ShortNamesOfDeadLetterHeadersMeanCdpError) {
  const HeaderFilter filter = filter_of({"reason=retries_exhausted", "http_status=503"});
  ASSERT_EQ(filter.patterns().count("cdp.error.reason"), 1u);
  ASSERT_EQ(filter.patterns().count("cdp.error.http_status"), 1u);
  EXPECT_TRUE(filter.matches(dead_letter("retries_exhausted", "vidora", "503")));
  EXPECT_FALSE(filter.matches({{"reason", "retries_exhausted"}, {"http_status", "503"}}));
}

TEST(HeaderFilterTest, OtherNamesAreLiteral) {
  const HeaderFilter filter = filter_of({"traceparent=t1", "cdp.source.topic=raw"});
  ASSERT_EQ(filter.patterns().count("traceparent"), 1u);
  EXPECT_TRUE(filter.matches({{"traceparent", "t1"}, {"cdp.source.topic", "raw"}}));
  EXPECT_FALSE(filter.matches({{"cdp.error.traceparent", "t1"}, {"cdp.source.topic", "raw"}}));
}

TEST(HeaderFilterTest, SameNameIsOrDifferentNamesAreAnd) {
  const HeaderFilter filter =
      filter_of({"reason=retries_exhausted", "reason=client_error", "destination=spideo"});
  EXPECT_EQ(filter.describe(),
            "cdp.error.destination=spideo and cdp.error.reason=retries_exhausted|client_error");
  EXPECT_TRUE(filter.matches(dead_letter("retries_exhausted", "spideo")));
  EXPECT_TRUE(filter.matches(dead_letter("client_error", "spideo")));
  EXPECT_FALSE(filter.matches(dead_letter("retries_exhausted", "vidora")));
  EXPECT_FALSE(filter.matches(dead_letter("rejected_by_destination", "spideo")));
}

TEST(HeaderFilterTest, TrailingStarMatchesAPrefix) {
  const HeaderFilter filter = filter_of({"http_status=5*"});
  EXPECT_TRUE(filter.matches(dead_letter("retries_exhausted", "vidora", "503")));
  EXPECT_TRUE(filter.matches(dead_letter("retries_exhausted", "vidora", "5")));
  EXPECT_FALSE(filter.matches(dead_letter("retries_exhausted", "vidora", "429")));
  EXPECT_FALSE(filter.matches(dead_letter("retries_exhausted", "vidora", "")));
}

TEST(HeaderFilterTest, EmptyValueMatchesOnlyAnEmptyHeader) {
  const HeaderFilter filter = filter_of({"x-team="});
  EXPECT_TRUE(filter.matches({{"x-team", ""}}));
  EXPECT_FALSE(filter.matches({{"x-team", "a"}}));
  EXPECT_FALSE(filter.matches({}));
}

TEST(HeaderFilterTest, ARepeatedHeaderMatchesWhenAnyValueDoes) {
  const HeaderFilter filter = filter_of({"x-tag=b"});
  EXPECT_TRUE(filter.matches({{"x-tag", "a"}, {"x-tag", "b"}}));
  EXPECT_FALSE(filter.matches({{"x-tag", "a"}, {"x-tag", "c"}}));
}

TEST(HeaderFilterTest, ValuesKeepEqualsSigns) {
  const HeaderFilter filter = filter_of({"x-query=a=b"});
  EXPECT_TRUE(filter.matches({{"x-query", "a=b"}}));
  EXPECT_FALSE(filter.matches({{"x-query", "a"}}));
}

TEST(HeaderFilterTest, RejectsArgumentsWithoutHeaderAndValue) {
  HeaderFilter filter;
  for (const char* bad : {"", "reason", "=retries_exhausted"}) {
    auto error = filter.add(bad);
    ASSERT_TRUE(error) << bad;
    EXPECT_NE(error->find("HEADER=VALUE"), std::string::npos) << *error;
  }
  EXPECT_TRUE(filter.empty());
}

TEST(HeaderFilterTest, RejectsReasonsAndStagesTheRelayNeverWrites) {
  HeaderFilter filter;
  auto error = filter.add("cdp.error.reason=http_5xx");
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("http_5xx"), std::string::npos) << *error;
  EXPECT_NE(error->find("retries_exhausted"), std::string::npos) << "lists the known reasons";
  EXPECT_TRUE(filter.add("stage=delivery"));
  EXPECT_TRUE(filter.add("reason=zzz*"));
  EXPECT_FALSE(filter.add("stage=deliver"));
  EXPECT_FALSE(filter.add("reason=retries*")) << "a prefix of a known reason";
  EXPECT_FALSE(filter.add("x-reason=anything")) << "other headers are free-form";
}

TEST(KnownReasonsTest, ListsDeliveryAndValidationReasonsSorted) {
  const auto reasons = known_reasons();
  EXPECT_TRUE(std::is_sorted(reasons.begin(), reasons.end()));
  for (const char* reason : {"retries_exhausted", "rejected_by_destination", "client_error",
                             "missing_identity", "invalid_json"}) {
    EXPECT_NE(std::find(reasons.begin(), reasons.end(), reason), reasons.end()) << reason;
  }
  EXPECT_EQ(std::find(reasons.begin(), reasons.end(), "unknown"), reasons.end());
}

TEST(KafkaTimestampTest, MillisecondsSinceTheEpoch) {
  EXPECT_EQ(parse_kafka_timestamp("0"), 0);
  EXPECT_EQ(parse_kafka_timestamp("1732000000000"), 1'732'000'000'000);
  EXPECT_FALSE(parse_kafka_timestamp("-5"));
  EXPECT_FALSE(parse_kafka_timestamp(""));
  EXPECT_FALSE(parse_kafka_timestamp("99999999999999999999")) << "overflows int64";
  EXPECT_FALSE(parse_kafka_timestamp("12ms"));
}

TEST(KafkaTimestampTest, Rfc3339DateTimes) {
  EXPECT_EQ(parse_kafka_timestamp("1970-01-01T00:00:03Z"), 3000);
  EXPECT_EQ(parse_kafka_timestamp("2024-11-19T07:06:40.123Z"), 1'732'000'000'123);
  EXPECT_EQ(parse_kafka_timestamp("2024-11-20T10:00:00+01:00"), 1'732'093'200'000);
  EXPECT_EQ(parse_kafka_timestamp("2024-11-20"), 1'732'060'800'000) << "midnight UTC";
  EXPECT_FALSE(parse_kafka_timestamp("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_kafka_timestamp("yesterday"));
  EXPECT_EQ(parse_kafka_timestamp("2024"), 2024) << "digits alone are milliseconds";
  EXPECT_FALSE(parse_kafka_timestamp("20-11-2024"));
}

TimeWindow window(std::optional<int64_t> since, std::optional<int64_t> until) {
  TimeWindow w;
  w.since_ms = since;
  w.until_ms = until;
  return w;
}

TEST(RecordSelectorTest, WithoutWindowOnlyTheFilterDecides) {
  const RecordSelector selector(filter_of({"reason=retries_exhausted"}), TimeWindow{});
  EXPECT_EQ(selector.select(dead_letter("retries_exhausted"), 5), Verdict::kReplay);
  EXPECT_EQ(selector.select(dead_letter("retries_exhausted"), -1), Verdict::kReplay)
      << "no window: a missing timestamp does not matter";
  EXPECT_EQ(selector.select(dead_letter("client_error"), 5), Verdict::kFilteredOut);
}

TEST(RecordSelectorTest, WindowBoundsAreInclusive) {
  const RecordSelector selector(HeaderFilter{}, window(1000, 2000));
  EXPECT_EQ(selector.select({}, 999), Verdict::kBeforeWindow);
  EXPECT_EQ(selector.select({}, 1000), Verdict::kReplay);
  EXPECT_EQ(selector.select({}, 2000), Verdict::kReplay);
  EXPECT_EQ(selector.select({}, 2001), Verdict::kAfterWindow);
}

TEST(RecordSelectorTest, OpenEndedWindows) {
  const RecordSelector since(HeaderFilter{}, window(1000, std::nullopt));
  EXPECT_EQ(since.select({}, 999), Verdict::kBeforeWindow);
  EXPECT_EQ(since.select({}, 1'900'000'000'000), Verdict::kReplay);
  const RecordSelector until(HeaderFilter{}, window(std::nullopt, 2000));
  EXPECT_EQ(until.select({}, 0), Verdict::kReplay);
  EXPECT_EQ(until.select({}, 2001), Verdict::kAfterWindow);
}

TEST(RecordSelectorTest, WindowComesBeforeTheFilter) {
  const RecordSelector selector(filter_of({"reason=retries_exhausted"}), window(1000, 2000));
  EXPECT_EQ(selector.select(dead_letter("client_error"), 3000), Verdict::kAfterWindow)
      << "a record after --until stops the partition whatever its headers";
  EXPECT_EQ(selector.select(dead_letter("client_error"), 500), Verdict::kBeforeWindow);
  EXPECT_EQ(selector.select(dead_letter("client_error"), 1500), Verdict::kFilteredOut);
}

TEST(RecordSelectorTest, NoTimestampIsBeforeABoundedWindow) {
  const RecordSelector selector(HeaderFilter{}, window(std::nullopt, 2000));
  EXPECT_EQ(selector.select({}, -1), Verdict::kBeforeWindow);
}

}  // namespace
}  // namespace cdp_relay::replay
