// Retry-After parsing by hand: a small cursor over the string_view, exact
// grammar per form, and civil-date arithmetic on int64 (Howard Hinnant's
// days_from_civil, shared with model/timestamp), so that no input can reach
// undefined behaviour.
#include "delivery/retry_after.h"

#include <array>
#include <cstddef>

#include "model/timestamp.h"

namespace cdp_relay::delivery {
namespace {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerDay = 86'400'000;
// 9999-12-31T23:59:59.999Z, the last instant a 4-digit year can name.
constexpr int64_t kMaxWallMs = 253'402'300'799'999;
// More significant digits than this may not fit in int64.
constexpr size_t kMaxDeltaDigits = 18;

constexpr std::array<std::string_view, 7> kShortDays = {"Mon", "Tue", "Wed", "Thu",
                                                        "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

template <size_t N>
bool is_one_of(std::string_view word, const std::array<std::string_view, N>& names) {
  for (std::string_view name : names) {
    if (iequals(word, name)) return true;
  }
  return false;
}

// 1-based month number, or 0.
int month_number(std::string_view word) {
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (iequals(word, kMonths[i])) return static_cast<int>(i) + 1;
  }
  return 0;
}

std::string_view trim(std::string_view s) {
  auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

// Year of a day count since 1970-01-01 (inverse of days_from_civil).
int64_t year_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return yoe + era * 400 + (m <= 2 ? 1 : 0);
}

// A forward-only reader; every accessor checks bounds.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool done() const { return pos_ == s_.size(); }

  bool literal(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool literal_ci(std::string_view word) {
    if (s_.size() - pos_ < word.size() || !iequals(s_.substr(pos_, word.size()), word)) {
      return false;
    }
    pos_ += word.size();
    return true;
  }

  // Exactly `n` digits (n <= 4).
  bool digits(size_t n, int& out) {
    if (s_.size() - pos_ < n) return false;
    int value = 0;
    for (size_t i = 0; i < n; ++i) {
      const char c = s_[pos_ + i];
      if (!is_digit(c)) return false;
      value = value * 10 + (c - '0');
    }
    pos_ += n;
    out = value;
    return true;
  }

  // The longest run of ASCII letters (possibly empty).
  std::string_view letters() {
    const size_t start = pos_;
    while (pos_ < s_.size() && is_alpha(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

struct DateTime {
  int64_t year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// time-of-day = hour ":" minute ":" second
bool parse_time(Cursor& in, DateTime& dt) {
  return in.digits(2, dt.hour) && in.literal(':') && in.digits(2, dt.minute) &&
         in.literal(':') && in.digits(2, dt.second);
}

bool parse_month(Cursor& in, DateTime& dt) {
  dt.month = month_number(in.letters());
  return dt.month != 0;
}

// IMF-fixdate after "Sun,": SP 2DIGIT SP month SP 4DIGIT SP time SP "GMT"
bool parse_imf_fixdate_rest(Cursor& in, DateTime& dt) {
  int year = 0;
  const bool ok = in.literal(' ') && in.digits(2, dt.day) && in.literal(' ') &&
                  parse_month(in, dt) && in.literal(' ') && in.digits(4, year) &&
                  in.literal(' ') && parse_time(in, dt) && in.literal(' ') &&
                  in.literal_ci("GMT") && in.done();
  dt.year = year;
  return ok;
}

// RFC 850 after "Sunday,": SP 2DIGIT "-" month "-" 2DIGIT SP time SP "GMT"
bool parse_rfc850_rest(Cursor& in, DateTime& dt, int64_t now_wall_ms) {
  int yy = 0;
  if (!(in.literal(' ') && in.digits(2, dt.day) && in.literal('-') && parse_month(in, dt) &&
        in.literal('-') && in.digits(2, yy) && in.literal(' ') && parse_time(in, dt) &&
        in.literal(' ') && in.literal_ci("GMT") && in.done())) {
    return false;
  }
  // RFC 9110 section 5.6.7: a two-digit year more than 50 years in the future
  // is the most recent past year with the same last two digits.
  int64_t clamped_now = now_wall_ms;
  if (clamped_now < 0) clamped_now = 0;
  if (clamped_now > kMaxWallMs) clamped_now = kMaxWallMs;
  const int64_t now_year = year_from_days(clamped_now / kMsPerDay);
  int64_t year = now_year - now_year % 100 + yy;
  if (year > now_year + 50) {
    year -= 100;
  } else if (year + 100 <= now_year + 50) {
    year += 100;
  }
  dt.year = year;
  return true;
}

// asctime after "Sun": SP month SP (2DIGIT / SP DIGIT) SP time SP 4DIGIT
bool parse_asctime_rest(Cursor& in, DateTime& dt) {
  if (!(in.literal(' ') && parse_month(in, dt) && in.literal(' '))) return false;
  if (in.literal(' ')) {
    if (!in.digits(1, dt.day)) return false;
  } else if (!in.digits(2, dt.day)) {
    return false;
  }
  int year = 0;
  const bool ok = in.literal(' ') && parse_time(in, dt) && in.literal(' ') &&
                  in.digits(4, year) && in.done();
  dt.year = year;
  return ok;
}

bool valid(const DateTime& dt) {
  return dt.month >= 1 && dt.month <= 12 && dt.day >= 1 &&
         dt.day <= static_cast<int>(model::days_in_month(dt.year, static_cast<unsigned>(dt.month))) &&
         dt.hour <= 23 && dt.minute <= 59 &&
         dt.second <= 60;  // 60: a leap second
}

std::optional<std::chrono::milliseconds> parse_delta_seconds(std::string_view digits) {
  // Leading zeros carry no magnitude; only significant digits can overflow.
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > kMaxDeltaDigits) return std::nullopt;
  int64_t seconds = 0;
  for (char c : digits) seconds = seconds * 10 + (c - '0');
  const int64_t cap_s = kMaxRetryAfter.count() / kMsPerSecond;
  if (seconds > cap_s) return kMaxRetryAfter;
  return std::chrono::milliseconds(seconds * kMsPerSecond);
}

}  // namespace

std::optional<int64_t> parse_http_date_ms(std::string_view text, int64_t now_wall_ms) {
  Cursor in(trim(text));
  const std::string_view day_name = in.letters();
  DateTime dt;
  bool ok = false;
  if (in.literal(',')) {
    if (is_one_of(day_name, kShortDays)) {
      ok = parse_imf_fixdate_rest(in, dt);
    } else if (is_one_of(day_name, kLongDays)) {
      ok = parse_rfc850_rest(in, dt, now_wall_ms);
    }
  } else if (is_one_of(day_name, kShortDays)) {
    ok = parse_asctime_rest(in, dt);
  }
  if (!ok || !valid(dt)) return std::nullopt;
  // Years are at most 4 digits (or now_year + 50 <= 10049), so this cannot
  // overflow.
  return model::days_from_civil(dt.year, static_cast<unsigned>(dt.month),
                                static_cast<unsigned>(dt.day)) * kMsPerDay +
         ((dt.hour * 60 + dt.minute) * 60 + int64_t{dt.second}) * kMsPerSecond;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view header,
                                                           int64_t now_wall_ms) {
  const std::string_view value = trim(header);
  if (value.empty()) return std::nullopt;

  bool all_digits = true;
  for (char c : value) all_digits = all_digits && is_digit(c);
  if (all_digits) return parse_delta_seconds(value);

  const std::optional<int64_t> date_ms = parse_http_date_ms(value, now_wall_ms);
  if (!date_ms) return std::nullopt;
  if (*date_ms <= now_wall_ms) return std::chrono::milliseconds(0);
  // Compare before subtracting: now_wall_ms may be anything, and
  // date_ms - now_wall_ms could overflow when it is very negative.
  if (now_wall_ms < *date_ms - kMaxRetryAfter.count()) return kMaxRetryAfter;
  return std::chrono::milliseconds(*date_ms - now_wall_ms);
}

}  // namespace cdp_relay::delivery
