#include "model/timestamp.h"

#include <cstdio>

namespace cdp_relay::model {
namespace {

// A cursor over the text that reads unsigned decimal fields.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool consume(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  // Reads between min_digits and max_digits decimal digits.
  std::optional<int64_t> number(int min_digits, int max_digits) {
    int64_t value = 0;
    int digits = 0;
    while (!done() && digits < max_digits && is_digit(text_[pos_])) {
      value = value * 10 + (text_[pos_] - '0');
      ++pos_;
      ++digits;
    }
    if (digits < min_digits) return std::nullopt;
    return value;
  }
  // Reads the fraction after the decimal point as milliseconds, ignoring
  // digits beyond the third.
  std::optional<int64_t> fraction_ms() {
    int64_t ms = 0;
    int digits = 0;
    while (!done() && is_digit(text_[pos_])) {
      if (digits < 3) ms = ms * 10 + (text_[pos_] - '0');
      ++pos_;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) ms *= 10;
    return ms;
  }

 private:
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  std::string_view text_;
  size_t pos_ = 0;
};

// Parses the offset that follows the time: Z, ±hh[:mm], ±hhmm, or nothing.
std::optional<int64_t> parse_offset_minutes(Cursor& in) {
  if (in.done()) return 0;
  if (in.consume('Z') || in.consume('z')) return 0;
  int sign = 0;
  if (in.consume('+')) sign = 1;
  else if (in.consume('-')) sign = -1;
  else return std::nullopt;
  auto hours = in.number(2, 2);
  if (!hours || *hours > 23) return std::nullopt;
  int64_t minutes = 0;
  if (in.consume(':')) {
    auto mm = in.number(2, 2);
    if (!mm) return std::nullopt;
    minutes = *mm;
  } else if (!in.done()) {
    auto mm = in.number(2, 2);
    if (!mm) return std::nullopt;
    minutes = *mm;
  }
  if (minutes > 59) return std::nullopt;
  return sign * (*hours * 60 + minutes);
}

}  // namespace

unsigned days_in_month(int64_t year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {

// "2024-03-01T09:00:00.359Z": the form nearly every SDK sends (JavaScript's
// toISOString). Parsed with fixed positions instead of the general grammar's
// per-field bookkeeping: it runs for nearly every event. Anything else,
// including out-of-range fields and leap seconds, returns nullopt and goes to
// the general parser, so both paths accept and reject exactly the same texts.
std::optional<int64_t> parse_canonical_ms(std::string_view t) {
  if (t.size() != 24 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
      t[16] != ':' || t[19] != '.' || t[23] != 'Z') {
    return std::nullopt;
  }
  auto digits = [&](size_t at, size_t count, int64_t& value) {
    value = 0;
    for (size_t i = at; i < at + count; ++i) {
      const unsigned digit = static_cast<unsigned char>(t[i]) - '0';
      if (digit > 9) return false;
      value = value * 10 + digit;
    }
    return true;
  };
  int64_t year, month, day, hour, minute, second, millis;
  if (!digits(0, 4, year) || !digits(5, 2, month) || !digits(8, 2, day) ||
      !digits(11, 2, hour) || !digits(14, 2, minute) || !digits(17, 2, second) ||
      !digits(20, 3, millis)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, unsigned(month)) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  const int64_t days = days_from_civil(year, unsigned(month), unsigned(day));
  return (days * 86400 + hour * 3600 + minute * 60 + second) * 1000 + millis;
}

}  // namespace

std::optional<int64_t> parse_iso8601_ms(std::string_view text) {
  if (auto canonical = parse_canonical_ms(text)) return canonical;
  return parse_iso8601_ms_general(text);
}

std::optional<int64_t> parse_iso8601_ms_general(std::string_view text) {
  Cursor in(text);
  auto year = in.number(4, 4);
  if (!year || !in.consume('-')) return std::nullopt;
  auto month = in.number(1, 2);
  if (!month || *month < 1 || *month > 12 || !in.consume('-')) return std::nullopt;
  auto day = in.number(1, 2);
  if (!day || *day < 1 || *day > days_in_month(*year, unsigned(*month))) return std::nullopt;

  int64_t hour = 0, minute = 0, second = 0, millis = 0;
  if (!in.done()) {
    if (!in.consume('T') && !in.consume('t') && !in.consume(' ')) return std::nullopt;
    auto h = in.number(1, 2);
    if (!h || *h > 23 || !in.consume(':')) return std::nullopt;
    auto mi = in.number(1, 2);
    if (!mi || *mi > 59) return std::nullopt;
    hour = *h;
    minute = *mi;
    if (in.consume(':')) {
      auto s = in.number(1, 2);
      if (!s || *s > 60) return std::nullopt;
      second = *s;
      if (in.consume('.') || in.consume(',')) {
        auto frac = in.fraction_ms();
        if (!frac) return std::nullopt;
        millis = *frac;
      }
    }
    if (second == 60) {  // leap second: clamp rather than roll into the next minute
      second = 59;
      millis = 999;
    }
  }
  auto offset = parse_offset_minutes(in);
  if (!offset || !in.done()) return std::nullopt;

  const int64_t days = days_from_civil(*year, unsigned(*month), unsigned(*day));
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - *offset * 60;
  return seconds * 1000 + millis;
}

void append_iso8601_ms(std::string& out, int64_t epoch_ms) {
  int64_t days = epoch_ms >= 0 ? epoch_ms / 86400000 : (epoch_ms - 86399999) / 86400000;
  int64_t ms_of_day = epoch_ms - days * 86400000;
  // civil_from_days (Howard Hinnant).
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2);

  char buf[40];
  const int len = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                                static_cast<long long>(year), month, day,
                                static_cast<long long>(ms_of_day / 3600000),
                                static_cast<long long>(ms_of_day / 60000 % 60),
                                static_cast<long long>(ms_of_day / 1000 % 60),
                                static_cast<long long>(ms_of_day % 1000));
  out.append(buf, static_cast<size_t>(len));
}

}  // namespace cdp_relay::model
