// ISO-8601 timestamps as they occur in Segment payloads, and their rendering
// for destinations.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cdp_relay::model {

// Parses an ISO-8601 date-time into Unix epoch milliseconds (UTC).
// Lenient where real clients are sloppy (README "Inputs"):
//   - unpadded fields: "2015-2-02T00:30:08.276Z";
//   - 'T' or a space between date and time; a date alone means midnight UTC;
//   - fractional seconds of any length (truncated to milliseconds);
//   - "Z", "+hh:mm", "+hhmm", "+hh" or no offset (taken as UTC).
// Strict about values: month 1-12, day within the month, hour 0-23,
// minute 0-59, second 0-60 (a leap second counts as 59.999).
// Returns nullopt for anything else.
std::optional<int64_t> parse_iso8601_ms(std::string_view text);
// The same without the fast path for the canonical 24-character form; kept
// callable so tests can hold both paths to the same answers.
std::optional<int64_t> parse_iso8601_ms_general(std::string_view text);

// The event times the relay accepts, for both input formats: from the Unix
// epoch (1970-01-01T00:00:00.000Z) to 9999-12-31T23:59:59.999Z. Vidora's
// `timestamp` is a non-negative epoch value, so an earlier time (a mistyped
// year "0024", a clock at -1) would fail its whole request; such an event is
// rejected at decode (bad_timestamp) instead.
inline constexpr int64_t kMinEventTimeMs = 0;
inline constexpr int64_t kMaxEventTimeMs = 253402300799999;
inline bool is_accepted_event_time(int64_t epoch_ms) {
  return epoch_ms >= kMinEventTimeMs && epoch_ms <= kMaxEventTimeMs;
}
inline constexpr std::string_view kEventTimeRange =
    "between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z";

// Renders epoch milliseconds as "YYYY-MM-DDThh:mm:ss.mmmZ".
void append_iso8601_ms(std::string& out, int64_t epoch_ms);

// Days in `month` (1-12) of `year`, leap years included.
unsigned days_in_month(int64_t year, unsigned month);

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil algorithm). REQUIRES: a valid date.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

}  // namespace cdp_relay::model
