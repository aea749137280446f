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

// Finds the first number token of `json` at or after `pos`, which must be
// outside a string: sets `token` and moves `pos` past it, or returns false
// (with `pos` at the end) when there is none. Tokens are runs of number
// characters that start with '-' or a digit outside a string; the parser has
// judged (or will judge) whether they are valid, so nothing more is checked
// here. Strings are skipped with memchr, which keeps the scan cheap for the
// typical document, most of whose bytes are inside strings.
bool next_number_token(std::string_view json, size_t& pos, std::string_view& token) {
  const char* const begin = json.data();
  const char* const end = begin + json.size();
  const char* p = begin + pos;
  while (p < end) {
    const char c = *p;
    if (c == '"') {
      // Find the closing quote: one not preceded by an odd run of backslashes.
      const char* q = p + 1;
      for (;;) {
        q = static_cast<const char*>(std::memchr(q, '"', static_cast<size_t>(end - q)));
        if (q == nullptr) {  // unterminated: nothing more to find
          pos = json.size();
          return false;
        }
        size_t backslashes = 0;
        for (const char* b = q - 1; b > p && *b == '\\'; --b) ++backslashes;
        if (backslashes % 2 == 0) break;
        ++q;
      }
      p = q + 1;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const char* q = p + 1;
      while (q < end && is_number_char(*q)) ++q;
      token = std::string_view(p, static_cast<size_t>(q - p));
      pos = static_cast<size_t>(q - begin);
      return true;
    } else {
      ++p;
    }
  }
  pos = json.size();
  return false;
}

// Calls `on_number(offset, length)` for each number token of `json`, in order.
template <typename OnNumber>
void for_each_number_token(std::string_view json, OnNumber&& on_number) {
  size_t pos = 0;
  std::string_view token;
  while (next_number_token(json, pos, token)) {
    on_number(static_cast<size_t>(token.data() - json.data()), token.size());
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
  scanned_up_to_ = 0;
}

size_t NumberTexts::rewrite_unrepresentable(std::string_view source, std::string& parsed) {
  reset(source);
  scanned_up_to_ = source.size();  // everything is found here, eagerly
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
  const uint64_t bits = std::bit_cast<uint64_t>(value);
  for (const Entry& entry : entries_) {
    if (entry.bits == bits) return entry.text;
  }
  // Not among the floats scanned so far: scan on only until it is found. The
  // scan goes in document order, so the first text of a value is still the
  // one found; encoders mostly ask in document order, so most of a document
  // after its last float is never scanned.
  std::string_view token;
  while (next_number_token(source_, scanned_up_to_, token)) {
    if (!is_float_syntax(token)) continue;  // an integer's text is its shortest form
    // Every float is kept, in its shortest form or not: writing the text
    // found costs less than formatting the double again.
    if (const auto parsed = float_value(token)) {
      entries_.push_back(Entry{std::bit_cast<uint64_t>(*parsed), token});
      if (entries_.back().bits == bits) return token;
    }
  }
  return {};
}

}  // namespace cdp_relay::util
