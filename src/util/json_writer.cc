#include "util/json_writer.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/word_load.h"

namespace cdp_relay::util {
namespace {

// Table of bytes that need escaping: control characters, quote, backslash.
constexpr std::array<bool, 256> make_escape_table() {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}
constexpr std::array<bool, 256> kNeedsEscape = make_escape_table();

void append_escaped_byte(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out.append("\\\""); return;
    case '\\': out.append("\\\\"); return;
    case '\n': out.append("\\n"); return;
    case '\r': out.append("\\r"); return;
    case '\t': out.append("\\t"); return;
    case '\b': out.append("\\b"); return;
    case '\f': out.append("\\f"); return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out.append(buf, sizeof buf);
    }
  }
}

}  // namespace

namespace {

// SWAR test of 8 bytes at once: does any byte need escaping (< 0x20, '"' or
// '\\')? Almost no string in an analytics event does, so the common case
// copies whole words instead of testing every byte.
inline bool word_needs_escape(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHighs;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  const uint64_t has_quote = (quote - kOnes) & ~quote & kHighs;
  const uint64_t has_backslash = (backslash - kOnes) & ~backslash & kHighs;
  return (below_space | has_quote | has_backslash) != 0;
}

#if defined(__SSE2__)
// The same test over 16 bytes with SSE2 (part of every x86-64 CPU): about a
// third of the instructions per byte of the word test, for user agents, URLs
// and ids.
inline bool block_needs_escape(const char* p) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'));
  // Unsigned byte < 0x20 as a signed compare: flip the sign bits of both sides.
  const __m128i control = _mm_cmplt_epi8(_mm_xor_si128(bytes, _mm_set1_epi8(char(0x80))),
                                         _mm_set1_epi8(char(0x20 ^ 0x80)));
  return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) != 0;
}
#endif

// Length of the prefix of `value` known to need no escaping: all of it in the
// common case, else at least up to the block or word holding the first byte
// that does.
size_t clean_prefix(std::string_view value) {
  const char* p = value.data();
  const size_t size = value.size();
  size_t clean = 0;
#if defined(__SSE2__)
  if (size >= 16) {
    while (clean + 16 <= size && !block_needs_escape(p + clean)) clean += 16;
    if (clean == size) return size;
    // The tail: the last 16 bytes, re-testing a few clean ones.
    if (size - clean < 16 && !block_needs_escape(p + size - 16)) return size;
    return clean;
  }
#endif
  while (clean + 8 <= size && !word_needs_escape(load_u64(p + clean))) clean += 8;
  if (clean == size) return size;
  if (size - clean < 8) {
    // The short tail (most values are shorter than 8 bytes): the last 8 bytes
    // when the value is that long, else the tail padded with spaces, which
    // never need escaping; tested as one word.
    const uint64_t word = size >= 8 ? load_u64(p + size - 8)
                                    : load_short(p + clean, size - clean, 0x2020202020202020ULL);
    if (!word_needs_escape(word)) return size;
  }
  return clean;
}

}  // namespace

// Every string value and key of every encoded event comes through here.
// flatten inlines std::string's push_back and append into it: left to
// itself, GCC's inliner keeps or drops them depending on what else the file
// holds, and the calls cost more than the copies of typical short values.
[[gnu::flatten]] void append_json_string(std::string& out, std::string_view value) {
  out.push_back('"');
  const size_t clean = clean_prefix(value);
  if (clean == value.size()) {
    out.append(value);
    out.push_back('"');
    return;
  }
  size_t run_start = 0;
  for (size_t i = clean; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (!kNeedsEscape[c]) continue;
    out.append(value.data() + run_start, i - run_start);
    append_escaped_byte(out, c);
    run_start = i + 1;
  }
  out.append(value.data() + run_start, value.size() - run_start);
  out.push_back('"');
}

// The number formatters append (pointer, length): std::string's (first, last)
// overload takes its general iterator-range path, a replace that costs
// several times the copy of a few digits.
void append_int(std::string& out, int64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

void append_uint(std::string& out, uint64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

void append_double(std::string& out, double value) {
  char buf[32];
  // Shortest round-trip form; JSON has no NaN/Inf, and simdjson never yields them.
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<size_t>(res.ptr - buf));
}

void append_json_object(std::string& out, simdjson::dom::object value,
                        const NumberTexts* numbers) {
  out.push_back('{');
  bool first = true;
  for (auto field : value) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, field.key);
    out.push_back(':');
    append_json_value(out, field.value, numbers);
  }
  out.push_back('}');
}

void append_json_value(std::string& out, simdjson::dom::element value,
                       const NumberTexts* numbers) {
  using simdjson::dom::element_type;
  switch (value.type()) {
    case element_type::OBJECT:
      append_json_object(out, simdjson::dom::object(value), numbers);
      return;
    case element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (auto item : simdjson::dom::array(value)) {
        if (!first) out.push_back(',');
        first = false;
        append_json_value(out, item, numbers);
      }
      out.push_back(']');
      return;
    }
    case element_type::STRING: append_json_string(out, std::string_view(value)); return;
    case element_type::INT64: append_int(out, int64_t(value)); return;
    case element_type::UINT64: append_uint(out, uint64_t(value)); return;
    case element_type::DOUBLE: {
      const double number = double(value);
      const std::string_view text = numbers ? numbers->original_text(number) : std::string_view();
      if (text.empty()) {
        append_double(out, number);
      } else {
        out.append(text);
      }
      return;
    }
    case element_type::BOOL: out.append(bool(value) ? "true" : "false"); return;
    case element_type::NULL_VALUE: out.append("null"); return;
  }
}

}  // namespace cdp_relay::util
