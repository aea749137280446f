// Retry-After: delta-seconds and the three HTTP-date forms of RFC 9110
// section 5.6.7, and robustness against anything else (the parser is a fuzz
// target).
#include "delivery/retry_after.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace cdp_relay::delivery {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// "Sun, 06 Nov 1994 08:49:37 GMT", the RFC's example date.
constexpr int64_t kRfcExampleMs = 784'111'777'000;
// 2023-11-14T22:13:20Z, ManualClock's default wall time.
constexpr int64_t kNow2023Ms = 1'700'000'000'000;

std::optional<milliseconds> parse(std::string_view header, int64_t now_wall_ms = kNow2023Ms) {
  return parse_retry_after(header, now_wall_ms);
}

TEST(RetryAfterTest, DeltaSeconds) {
  EXPECT_EQ(parse("120"), milliseconds(120'000));
  EXPECT_EQ(parse("0"), milliseconds(0));
  EXPECT_EQ(parse("1"), milliseconds(1'000));
  EXPECT_EQ(parse("3600"), milliseconds(3'600'000));
  EXPECT_EQ(parse("007"), milliseconds(7'000));
}

TEST(RetryAfterTest, DeltaSecondsToleratesSurroundingWhitespace) {
  EXPECT_EQ(parse(" 120"), milliseconds(120'000));
  EXPECT_EQ(parse("120 "), milliseconds(120'000));
  EXPECT_EQ(parse("  \t120\t  "), milliseconds(120'000));
  // A raw header line tail as a libcurl header callback delivers it.
  EXPECT_EQ(parse("120\r\n"), milliseconds(120'000));
}

TEST(RetryAfterTest, DeltaSecondsAboveTheCapAreCapped) {
  EXPECT_EQ(parse("3601"), kMaxRetryAfter);
  EXPECT_EQ(parse("86400"), kMaxRetryAfter);
  EXPECT_EQ(parse("999999999999999999"), kMaxRetryAfter);  // 18 digits
  // Leading zeros do not count towards overflow.
  EXPECT_EQ(parse("0000000000000000000000000120"), milliseconds(120'000));
}

TEST(RetryAfterTest, DeltaSecondsThatOverflowAreRejected) {
  EXPECT_EQ(parse("9999999999999999999"), std::nullopt);  // 19 digits
  EXPECT_EQ(parse("18446744073709551616"), std::nullopt);  // 2^64
  EXPECT_EQ(parse(std::string(4096, '9')), std::nullopt);
}

TEST(RetryAfterTest, GarbageIsRejected) {
  for (std::string_view bad :
       {"", " ", "\t\r\n", "-1", "-0", "+120", "1.5", "1e3", "0x10", "12 34", "12,34", "120s",
        "s120", "abc", "never", "Sun", "Sun,", "GMT", "\xff\xfe", "\xe2\x80\x83" "120"}) {
    SCOPED_TRACE(std::string(bad));
    EXPECT_EQ(parse(bad), std::nullopt);
  }
  // Embedded NUL bytes, which a C-string parser would stop at.
  EXPECT_EQ(parse(std::string_view("12\0" "3", 4)), std::nullopt);
}

TEST(RetryAfterTest, ImfFixdate) {
  EXPECT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExampleMs - 120'000),
            milliseconds(120'000));
  EXPECT_EQ(parse_http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT", kNow2023Ms), kRfcExampleMs);
}

TEST(RetryAfterTest, Rfc850Date) {
  EXPECT_EQ(parse("Sunday, 06-Nov-94 08:49:37 GMT", kRfcExampleMs - 120'000),
            milliseconds(120'000));
}

TEST(RetryAfterTest, AsctimeDate) {
  EXPECT_EQ(parse("Sun Nov  6 08:49:37 1994", kRfcExampleMs - 120'000), milliseconds(120'000));
  // A two-digit day is also allowed by the asctime grammar.
  EXPECT_EQ(parse("Sun Nov 06 08:49:37 1994", kRfcExampleMs - 120'000), milliseconds(120'000));
}

TEST(RetryAfterTest, DatesToleratesSurroundingWhitespace) {
  EXPECT_EQ(parse("  Sun, 06 Nov 1994 08:49:37 GMT \r\n", kRfcExampleMs - 5'000),
            milliseconds(5'000));
}

TEST(RetryAfterTest, NamesAreCaseInsensitive) {
  EXPECT_EQ(parse("sun, 06 nov 1994 08:49:37 gmt", kRfcExampleMs - 1'000), milliseconds(1'000));
  EXPECT_EQ(parse("SUNDAY, 06-NOV-94 08:49:37 GMT", kRfcExampleMs - 1'000), milliseconds(1'000));
}

TEST(RetryAfterTest, DayNameIsNotCheckedAgainstTheDate) {
  EXPECT_EQ(parse_http_date_ms("Mon, 06 Nov 1994 08:49:37 GMT", kNow2023Ms), kRfcExampleMs);
}

TEST(RetryAfterTest, PastOrPresentDateMeansNow) {
  EXPECT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT"), milliseconds(0));
  EXPECT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExampleMs), milliseconds(0));
  EXPECT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExampleMs + 1), milliseconds(0));
  EXPECT_EQ(parse("Thu, 01 Jan 1970 00:00:00 GMT"), milliseconds(0));
  EXPECT_EQ(parse("Sat, 01 Jan 0000 00:00:00 GMT"), milliseconds(0));
}

TEST(RetryAfterTest, FarFutureDateIsCapped) {
  EXPECT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExampleMs - 3'600'001), kMaxRetryAfter);
  EXPECT_EQ(parse("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExampleMs - 3'600'000), kMaxRetryAfter);
  EXPECT_EQ(parse("Fri, 31 Dec 9999 23:59:59 GMT"), kMaxRetryAfter);
}

TEST(RetryAfterTest, CalendarLimits) {
  EXPECT_EQ(parse_http_date_ms("Thu, 01 Jan 1970 00:00:00 GMT", kNow2023Ms), 0);
  EXPECT_EQ(parse_http_date_ms("Fri, 31 Dec 9999 23:59:59 GMT", kNow2023Ms),
            int64_t{253'402'300'799'000});
  EXPECT_EQ(parse_http_date_ms("Sat, 01 Jan 0000 00:00:00 GMT", kNow2023Ms),
            int64_t{-719'528} * 86'400'000);
  EXPECT_EQ(parse_http_date_ms("Tue, 29 Feb 2000 00:00:00 GMT", kNow2023Ms),
            int64_t{951'782'400'000});
  EXPECT_EQ(parse_http_date_ms("Thu, 29 Feb 2024 12:00:00 GMT", kNow2023Ms),
            int64_t{1'709'208'000'000});
  // A leap second is a valid time of day; it lands on the next second.
  EXPECT_EQ(parse_http_date_ms("Sun, 06 Nov 1994 08:49:60 GMT", kNow2023Ms),
            kRfcExampleMs + 23'000);
}

TEST(RetryAfterTest, InvalidDatesAreRejected) {
  for (std::string_view bad : {
           "Sun, 31 Feb 1994 08:49:37 GMT",   // no 31 Feb
           "Mon, 29 Feb 1994 08:49:37 GMT",   // 1994 is not a leap year
           "Wed, 29 Feb 1900 08:49:37 GMT",   // a century that is not a leap year
           "Sun, 31 Apr 1994 08:49:37 GMT",   // April has 30 days
           "Sun, 00 Nov 1994 08:49:37 GMT",   // day 0
           "Sun, 32 Dec 1994 08:49:37 GMT",   // day 32
           "Sun, 06 Nov 1994 24:00:00 GMT",   // hour 24
           "Sun, 06 Nov 1994 08:60:37 GMT",   // minute 60
           "Sun, 06 Nov 1994 08:49:61 GMT",   // second 61
           "Sun, 06 Foo 1994 08:49:37 GMT",   // month
           "Sun, 06 Nov 1994 08:49:37 UTC",   // zone must be GMT
           "Sun, 06 Nov 1994 08:49:37 +0000", // no numeric zone
           "Sun, 06 Nov 1994 08:49:37",       // no zone
           "Sun, 06 Nov 1994 08:49:37 GMT x", // trailing garbage
           "Sun, 06 Nov 1994 08:49:37 GMTT",
           "Sun, 6 Nov 1994 08:49:37 GMT",    // IMF needs two-digit day
           "Sun, 06 Nov 94 08:49:37 GMT",     // IMF needs four-digit year
           "Sun,  06 Nov 1994 08:49:37 GMT",  // double space
           "Sun 06 Nov 1994 08:49:37 GMT",    // missing comma
           "Sun, 06 Nov 1994 8:49:37 GMT",    // one-digit hour
           "Sun, 06 Nov 1994 08:49 GMT",      // no seconds
           "Sun, 06-Nov-1994 08:49:37 GMT",   // RFC 850 separators with a short day
           "Sunday, 06 Nov 1994 08:49:37 GMT",  // IMF layout with a long day
           "Sunday, 06-Nov-1994 08:49:37 GMT",  // RFC 850 needs a two-digit year
           "Sunday, 31-Feb-94 08:49:37 GMT",
           "Funday, 06-Nov-94 08:49:37 GMT",
           "Sun Nov 6 08:49:37 1994",         // asctime: single space before a 1-digit day
           "Sun Nov  6 08:49:37 94",          // asctime needs a four-digit year
           "Sun Nov  6 08:49:37 1994 GMT",    // asctime has no zone
           "Sun Feb 30 08:49:37 1994",
           "Sunday Nov  6 08:49:37 1994",     // asctime needs a short day
           "Fun, 06 Nov 1994 08:49:37 GMT",
       }) {
    SCOPED_TRACE(std::string(bad));
    EXPECT_EQ(parse_http_date_ms(bad, kNow2023Ms), std::nullopt);
    EXPECT_EQ(parse(bad), std::nullopt);
  }
}

TEST(RetryAfterTest, Rfc850TwoDigitYearIsAtMostFiftyYearsAhead) {
  // Now is 2023: "94" is 1994 (2094 would be 71 years ahead)...
  EXPECT_EQ(parse_http_date_ms("Sunday, 06-Nov-94 08:49:37 GMT", kNow2023Ms), kRfcExampleMs);
  // ... "30" is 2030 ...
  EXPECT_EQ(parse_http_date_ms("Wednesday, 06-Nov-30 08:49:37 GMT", kNow2023Ms),
            int64_t{1'920'185'377'000});
  // ... "73" is 2073 (exactly 50 years ahead), "74" is 1974.
  EXPECT_EQ(parse_http_date_ms("Sunday, 01-Jan-73 00:00:00 GMT", kNow2023Ms),
            int64_t{3'250'454'400'000});
  EXPECT_EQ(parse_http_date_ms("Tuesday, 01-Jan-74 00:00:00 GMT", kNow2023Ms),
            int64_t{126'230'400'000});
  // Near the end of a century, "00" is the coming year, not 99 years ago.
  const int64_t late_2099_ms = int64_t{4'102'358'400'000};  // 2099-12-31T00:00:00Z
  EXPECT_EQ(parse_http_date_ms("Friday, 01-Jan-00 00:00:00 GMT", late_2099_ms),
            int64_t{4'102'444'800'000});  // 2100-01-01
}

TEST(RetryAfterTest, ExtremeClocksDoNotOverflow) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (std::string_view date : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                                "Sun Nov  6 08:49:37 1994"}) {
    SCOPED_TRACE(std::string(date));
    EXPECT_EQ(parse(date, kMax), milliseconds(0));
    EXPECT_EQ(parse(date, kMin), kMaxRetryAfter);
    EXPECT_EQ(parse(date, -1), kMaxRetryAfter);
  }
  EXPECT_EQ(parse("120", kMin), milliseconds(120'000));
}

TEST(RetryAfterTest, EveryTruncationOfAValidValueIsHandled) {
  for (std::string_view full : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                                "Sun Nov  6 08:49:37 1994"}) {
    for (size_t length = 0; length < full.size(); ++length) {
      const std::string_view prefix = full.substr(0, length);
      SCOPED_TRACE(std::string(prefix));
      EXPECT_EQ(parse(prefix), std::nullopt);
    }
    EXPECT_EQ(parse(full), milliseconds(0));
  }
}

// Deterministic smoke fuzzing until the libFuzzer target exists: random bytes
// and single-byte mutations of valid values. The assertion is that every
// result is in range; crashes and sanitizer reports are the real signal.
TEST(RetryAfterTest, RandomInputsNeverEscapeTheRange) {
  std::mt19937_64 rng(20240601);
  const std::string seeds[] = {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                               "Sun Nov  6 08:49:37 1994", "120", "  3600  "};
  const char alphabet[] = "0123456789 ,:-\t\r\nSunNovGMTday\x00\xff";
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    if (i % 2 == 0) {
      input = seeds[rng() % std::size(seeds)];
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !input.empty(); ++e) {
        const size_t at = rng() % input.size();
        switch (rng() % 3) {
          case 0: input[at] = static_cast<char>(rng() & 0xff); break;
          case 1: input.erase(at, 1); break;
          default: input.insert(at, 1, alphabet[rng() % (sizeof(alphabet) - 1)]); break;
        }
      }
    } else {
      const size_t length = rng() % 40;
      for (size_t k = 0; k < length; ++k) input.push_back(alphabet[rng() % (sizeof(alphabet) - 1)]);
    }
    const int64_t now = static_cast<int64_t>(rng());
    const std::optional<milliseconds> result = parse_retry_after(input, now);
    if (result) {
      ASSERT_GE(result->count(), 0) << input;
      ASSERT_LE(*result, kMaxRetryAfter) << input;
    }
  }
}

}  // namespace
}  // namespace cdp_relay::delivery
