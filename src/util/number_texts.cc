#include "util/number_texts.h"

#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>

namespace cdp_relay::util {
namespace {

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// Calls `on_number(offset, length)` for each number token of `json`, in
// order, skipping strings. Tokens are runs of number characters that start
// with '-' or a digit outside a string; the parser has judged (or will judge)
// whether they are valid, so nothing more is checked here. Strings are
// skipped with memchr, which keeps the scan cheap for the typical document,
// most of whose bytes are inside strings.
template <typename OnNumber>
void for_each_number_token(std::string_view json, OnNumber&& on_number) {
  const char* const begin = json.data();
  const char* const end = begin + json.size();
  const char* p = begin;
  while (p < end) {
    const char c = *p;
    if (c == '"') {
      // Find the closing quote: one not preceded by an odd run of backslashes.
      const char* q = p + 1;
      for (;;) {
        q = static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(end - q)));
        if (q == nullptr) return;  // unterminated: nothing more to find
        size_t backslashes = 0;
        for (const char* b = q - 1; b > p && *b == '\\'; --b) ++backslashes;
        if (backslashes % 2 == 0) break;
        ++q;
      }
      p = q + 1;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const char* q = p + 1;
      while (q < end && is_number_char(*q)) ++q;
      on_number(static_cast<size_t>(p - begin), static_cast<size_t>(q - p));
      p = q;
    } else {
      ++p;
    }
  }
}

bool is_float_syntax(std::string_view token) {
  return token.find_first_of(".eE") != std::string_view::npos;
}

// The double a JSON parser holds for a float token: correctly rounded, 0 for
// an underflow. nullopt for an overflow, which simdjson refuses.
std::optional<double> float_value(std::string_view token) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports underflow and overflow alike; the exponent's sign
    // tells them apart (a mantissa alone cannot overflow in a JSON text short
    // enough to matter here).
    const size_t e = token.find_first_of("eE");
    const bool negative_exponent = e != std::string_view::npos && e + 1 < token.size() &&
                                   token[e + 1] == '-';
    if (!negative_exponent) return std::nullopt;
    return token.front() == '-' ? -0.0 : 0.0;
  }
  if (ec != std::errc() || ptr != token.data() + token.size()) return std::nullopt;
  return value;
}

bool fits_64_bits(std::string_view integer) {
  if (integer.front() == '-') {
    int64_t value;
    return std::from_chars(integer.data(), integer.data() + integer.size(), value).ec ==
           std::errc();
  }
  uint64_t value;
  return std::from_chars(integer.data(), integer.data() + integer.size(), value).ec == std::errc();
}

}  // namespace

void NumberTexts::reset(std::string_view source) {
  source_ = source;
  entries_.clear();
  scanned_ = false;
}

void NumberTexts::scan() const {
  scanned_ = true;
  for_each_number_token(source_, [&](size_t offset, size_t length) {
    const std::string_view token = source_.substr(offset, length);
    if (!is_float_syntax(token)) return;  // an integer's text is its shortest form
    // Every float is kept, in its shortest form or not: writing the text
    // found costs less than formatting the double again.
    if (const auto value = float_value(token)) {
      entries_.push_back(Entry{std::bit_cast<uint64_t>(*value), token});
    }
  });
}

size_t NumberTexts::rewrite_unrepresentable(std::string_view source, std::string& parsed) {
  reset(source);
  scanned_ = true;  // everything is found here, eagerly
  parsed.clear();
  parsed.reserve(source.size() + 16);
  size_t copied = 0;  // source bytes up to here are in `parsed`
  size_t replaced = 0;
  for_each_number_token(source, [&](size_t offset, size_t length) {
    const std::string_view token = source.substr(offset, length);
    std::optional<double> value;
    bool representable;
    if (is_float_syntax(token)) {
      value = float_value(token);
      representable = value.has_value();
    } else {
      representable = fits_64_bits(token);
    }
    if (representable) {
      if (value) entries_.push_back(Entry{std::bit_cast<uint64_t>(*value), token});
      return;
    }
    // A marker no real document plausibly holds, distinct per number (ten
    // significant digits) and never read as an integer (a timestamp or an id
    // written this way is rejected as such, as it should be).
    ++replaced;
    char marker[40];
    const bool negative = token.front() == '-';
    const int size = std::snprintf(marker, sizeof marker, "%s1.%09zue300", negative ? "-" : "",
                                   replaced);
    const std::string_view marker_text(marker, static_cast<size_t>(size));
    double marker_value = 0;
    std::from_chars(marker_text.data(), marker_text.data() + marker_text.size(), marker_value);
    entries_.push_back(Entry{std::bit_cast<uint64_t>(marker_value), token});
    parsed.append(source, copied, offset - copied);
    parsed.append(marker_text);
    copied = offset + length;
  });
  parsed.append(source, copied);
  return replaced;
}

std::string_view NumberTexts::original_text(double value) const {
  if (!scanned_) scan();
  if (entries_.empty()) return {};
  const uint64_t bits = std::bit_cast<uint64_t>(value);
  for (const Entry& entry : entries_) {
    if (entry.bits == bits) return entry.text;
  }
  return {};
}

}  // namespace cdp_relay::util
