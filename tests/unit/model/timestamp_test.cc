// parse_iso8601_ms and append_iso8601_ms (README "Inputs": "Accept Z and
// ±hh:mm offsets, fractional seconds, and unpadded fields").
// Expected epoch values were computed independently (Python datetime).
#include "model/timestamp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace cdp_relay::model {
namespace {

struct Accepted {
  const char* text;
  int64_t epoch_ms;
};

class AcceptedTimestampTest : public ::testing::TestWithParam<Accepted> {};

TEST_P(AcceptedTimestampTest, ParsesToEpochMilliseconds) {
  const Accepted& c = GetParam();
  EXPECT_EQ(parse_iso8601_ms(c.text), std::optional<int64_t>(c.epoch_ms)) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Iso8601, AcceptedTimestampTest,
    ::testing::Values(
        // Z, lower-case z
        Accepted{"2024-03-01T09:00:00Z", 1709283600000},
        Accepted{"2024-03-01T09:00:00.000Z", 1709283600000},
        Accepted{"2024-03-01t09:00:00z", 1709283600000},
        Accepted{"1970-01-01T00:00:00Z", 0},
        // ±hh:mm, ±hhmm, ±hh
        Accepted{"2024-03-01T10:00:00+01:00", 1709283600000},
        Accepted{"2024-03-01T10:00:00+0100", 1709283600000},
        Accepted{"2024-03-01T10:00:00+01", 1709283600000},
        Accepted{"2024-03-01T04:00:00-05:00", 1709283600000},
        Accepted{"2024-03-01T04:00:00-0500", 1709283600000},
        Accepted{"2024-03-01T14:30:00+05:30", 1709283600000},
        Accepted{"2024-03-01T03:15:00-05:45", 1709283600000},
        Accepted{"2024-03-01T09:00:00+00:00", 1709283600000},
        Accepted{"2024-03-01T09:00:00-00:00", 1709283600000},
        // no offset: UTC
        Accepted{"2024-03-01T09:00:00", 1709283600000},
        Accepted{"2024-03-01 09:00:00", 1709283600000},
        // fractional seconds of 1..9 digits (truncated to ms)
        Accepted{"2024-03-01T09:00:00.1Z", 1709283600100},
        Accepted{"2024-03-01T09:00:00.12Z", 1709283600120},
        Accepted{"2024-03-01T09:00:00.123Z", 1709283600123},
        Accepted{"2024-03-01T09:00:00.1234Z", 1709283600123},
        Accepted{"2024-03-01T09:00:00.12345Z", 1709283600123},
        Accepted{"2024-03-01T09:00:00.123456Z", 1709283600123},
        Accepted{"2024-03-01T09:00:00.1234567Z", 1709283600123},
        Accepted{"2024-03-01T09:00:00.12345678Z", 1709283600123},
        Accepted{"2024-03-01T09:00:00.123456789Z", 1709283600123},
        Accepted{"2024-03-01T09:00:00.999999999Z", 1709283600999},
        Accepted{"2024-03-01T10:00:00.123456+01:00", 1709283600123},
        Accepted{"2024-03-01T15:04:05.5+02:00", 1709298245500},
        Accepted{"2024-03-01T09:00:00,5Z", 1709283600500},
        // unpadded fields, as seen in the wild
        Accepted{"2015-2-02T00:30:08.276Z", 1422837008276},
        Accepted{"2015-2-2T0:30:8.276Z", 1422837008276},
        Accepted{"2024-3-1T9:0:0Z", 1709283600000},
        // no seconds
        Accepted{"2024-03-01T09:00Z", 1709283600000},
        // date only: midnight UTC
        Accepted{"2024-03-01", 1709251200000},
        Accepted{"2024-3-1", 1709251200000},
        // leap years
        Accepted{"2024-02-29T12:00:00Z", 1709208000000},
        Accepted{"2000-02-29", 951782400000},
        // leap second clamps to .999 of the same minute
        Accepted{"2016-12-31T23:59:60Z", 1483228799999},
        // pre-1970 and extremes
        Accepted{"1969-12-31T23:59:59.999Z", -1},
        Accepted{"1900-01-01T00:00:00Z", -2208988800000},
        Accepted{"1960-06-15T08:30:00.250Z", -301246199750},
        Accepted{"0001-01-01T00:00:00Z", -62135596800000},
        Accepted{"9999-12-31T23:59:59.999Z", 253402300799999}));

class RejectedTimestampTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RejectedTimestampTest, ReturnsNullopt) {
  EXPECT_EQ(parse_iso8601_ms(GetParam()), std::nullopt) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    Iso8601, RejectedTimestampTest,
    ::testing::Values(
        // invalid month
        "2024-00-01T00:00:00Z", "2024-13-01T00:00:00Z", "2020-13-45T99:00:00Z",
        // invalid day
        "2024-01-00T00:00:00Z", "2024-01-32T00:00:00Z", "2024-04-31T00:00:00Z",
        "2024-02-30T09:00:00Z",
        // Feb 29 on non-leap years (incl. the century rule)
        "2023-02-29T00:00:00Z", "2023-02-29", "1900-02-29T00:00:00Z", "2100-02-29",
        // invalid hour, minute, second
        "2024-03-01T24:00:00Z", "2024-03-01T99:00:00Z", "2024-03-01T09:60:00Z",
        "2024-03-01T09:00:61Z",
        // invalid offsets
        "2024-03-01T09:00:00+25:00", "2024-03-01T09:00:00+24:00", "2024-03-01T09:00:00+01:60",
        "2024-03-01T09:00:00+1", "2024-03-01T09:00:00+01:0", "2024-03-01T09:00:00+01:",
        "2024-03-01T09:00:00+", "2024-03-01T09:00:00 +01:00",
        // garbage
        "", " ", "yesterday", "now", "2024", "2024-03", "2024-03-", "24-03-01",
        "abcd-ef-ghTij:kl:mnZ", "1709283600000", "T09:00:00Z", "-2024-03-01",
        " 2024-03-01T09:00:00Z", "2024/03/01T09:00:00Z", "20240301T090000Z",
        "2024-03-01T", "2024-03-01T09", "2024-03-01T09:", "2024-03-01T09:00:",
        "2024-03-01T09:00:00.", "2024-03-01T09:00:00.Z", "2024-003-01T09:00:00Z",
        "12024-03-01T09:00:00Z",
        // trailing junk
        "2024-03-01T09:00:00Zjunk", "2024-03-01T09:00:00Z ", "2024-03-01T09:00:00+01:00x",
        "2024-03-01T09:00:00+01:00:00", "2024-03-01junk", "2024-03-01 ",
        "2024-03-01T09:00:00.123Z\n", "2024-03-01T09:00:00ZZ"));

TEST(TimestampTest, EmbeddedNulIsNotIgnored) {
  const std::string text("2024-03-01T09:00:00Z\0junk", 25);
  EXPECT_EQ(parse_iso8601_ms(text), std::nullopt);
}

std::string render(int64_t epoch_ms) {
  std::string out;
  append_iso8601_ms(out, epoch_ms);
  return out;
}

TEST(TimestampTest, AppendRendersCanonicalForm) {
  EXPECT_EQ(render(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(render(1709283600123), "2024-03-01T09:00:00.123Z");
  EXPECT_EQ(render(1422837008276), "2015-02-02T00:30:08.276Z");
  EXPECT_EQ(render(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(render(-86400000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(render(-86400001), "1969-12-30T23:59:59.999Z");
  EXPECT_EQ(render(-2208988800000), "1900-01-01T00:00:00.000Z");
  EXPECT_EQ(render(-301246199750), "1960-06-15T08:30:00.250Z");
  EXPECT_EQ(render(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(render(-62135596800000), "0001-01-01T00:00:00.000Z");
  EXPECT_EQ(render(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(TimestampTest, AppendAppendsWithoutClearing) {
  std::string out = "ts=";
  append_iso8601_ms(out, 0);
  EXPECT_EQ(out, "ts=1970-01-01T00:00:00.000Z");
}

TEST(TimestampTest, ParseOfRenderRoundTripsAcrossYears) {
  // Deterministic sweep over years 1..9999, including pre-1970 values and
  // every millisecond remainder class.
  const int64_t lo = -62135596800000;   // 0001-01-01
  const int64_t hi = 253402300799999;   // 9999-12-31T23:59:59.999
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  std::vector<int64_t> samples = {lo, hi, -1, 0, 1, 999, 1000, -999, -1000, -1001,
                                  -86399999, -86400000, -86400001, 951868799999};
  for (int i = 0; i < 20000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    samples.push_back(lo + static_cast<int64_t>((state >> 11) % static_cast<uint64_t>(hi - lo)));
  }
  for (int64_t ms : samples) {
    const std::string text = render(ms);
    ASSERT_EQ(parse_iso8601_ms(text), std::optional<int64_t>(ms)) << text;
  }
}

TEST(TimestampTest, RenderOfParseRoundTripsCanonicalText) {
  for (const char* text : {"2024-03-01T09:00:00.123Z", "1969-07-20T20:17:40.000Z",
                           "1601-01-01T00:00:00.001Z", "2400-02-29T23:59:59.999Z",
                           "1970-01-01T00:00:00.000Z"}) {
    auto ms = parse_iso8601_ms(text);
    ASSERT_TRUE(ms.has_value()) << text;
    EXPECT_EQ(render(*ms), text);
  }
}

TEST(TimestampTest, DaysFromCivil) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(2024, 3, 1), 19783);
}

// parse_iso8601_ms takes a fixed-position fast path for the canonical
// 24-character form. It must agree with the general parser on every text:
// canonical ones, and canonical ones with any one character replaced.
TEST(TimestampTest, CanonicalFastPathAgreesWithTheGeneralParser) {
  const std::string alphabet = "0123456789-T:.Z+ tz/5";
  std::mt19937 rng(20261129);
  size_t accepted = 0, rejected = 0;
  for (int round = 0; round < 20000; ++round) {
    // A random valid-looking timestamp across years, months and days 1-31
    // (so some are impossible dates).
    auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
    char text[40];
    std::snprintf(text, sizeof text, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", pick(10000),
                  1 + pick(12), 1 + pick(31), pick(24), pick(60), pick(61), pick(1000));
    std::string value = text;
    if (round % 2 == 1) value[pick(unsigned(value.size()))] = alphabet[pick(unsigned(alphabet.size()))];
    const auto fast = parse_iso8601_ms(value);
    const auto general = parse_iso8601_ms_general(value);
    ASSERT_EQ(fast.has_value(), general.has_value()) << value;
    if (fast) {
      ASSERT_EQ(*fast, *general) << value;
      ++accepted;
    } else {
      ++rejected;
    }
  }
  // Both kinds occurred, so both branches were compared.
  EXPECT_GT(accepted, 5000u);
  EXPECT_GT(rejected, 1000u);
  // Values the fast path hands to the general parser.
  EXPECT_EQ(parse_iso8601_ms("2016-12-31T23:59:60.000Z"),
            parse_iso8601_ms("2016-12-31T23:59:59.999Z"));  // leap second
  EXPECT_FALSE(parse_iso8601_ms("2023-02-29T00:00:00.000Z").has_value());
  EXPECT_EQ(parse_iso8601_ms("2024-03-01T09:00:00.359Z"), 1709283600359);
}

}  // namespace
}  // namespace cdp_relay::model
