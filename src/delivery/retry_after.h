// Parsing of the HTTP `Retry-After` response header (RFC 9110 section 10.2.3),
// which the engine honours on retryable responses (README "Delivery").
//
// Owns: turning one header value into a wait.
// Invariants:
//   - Total over every input: never crashes, never reads out of bounds, never
//     overflows; anything it does not fully understand is std::nullopt, and the
//     engine then falls back to its own backoff. (This function is a fuzz
//     target.)
//   - A result is always within [0, kMaxRetryAfter].
//   - Locale-independent: no strptime, no <locale>, no time zone database.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cdp_relay::delivery {

// Longest wait a Retry-After can impose. A server asking for more is treated
// as asking for this much: the request is retried after an hour, and the retry
// budget (max_retry_duration) decides whether the events are still worth
// trying.
inline constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::hours(1);

// Parses a Retry-After value, returning how long to wait from now.
//
// Accepted forms (leading and trailing SP, HTAB, CR and LF are ignored, so a
// raw header line from a libcurl header callback may be passed as is):
//   - delta-seconds: 1*DIGIT, e.g. "120". No sign, no fraction, no exponent.
//     Values above kMaxRetryAfter are capped to it; values with more digits
//     than fit in int64 ("overflow") are rejected.
//   - HTTP-date, in any of the three forms RFC 9110 section 5.6.7 requires a
//     recipient to accept:
//       IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//       RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"
//       asctime      "Sun Nov  6 08:49:37 1994"
//     Day and month names are matched case-insensitively; the day name is
//     checked to be a real day name but not checked against the date (RFC 9110
//     does not ask recipients to). The day of month is validated against the
//     month and leap years ("Feb 30" is rejected). Seconds may be 60 (leap
//     second). A two-digit RFC 850 year is resolved as RFC 9110 says: in the
//     century that puts it no more than 50 years after `now_wall_ms`.
//     A date at or before `now_wall_ms` yields 0 ms (retry now).
//
// `now_wall_ms` is the wall clock in epoch milliseconds (Clock::wall_ms()).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view header,
                                                           int64_t now_wall_ms);

// Parses only an HTTP-date (the three forms above) into epoch milliseconds.
// Exposed for tests and for other headers that carry dates. `now_wall_ms`
// only resolves two-digit years.
std::optional<int64_t> parse_http_date_ms(std::string_view text, int64_t now_wall_ms);

}  // namespace cdp_relay::delivery
