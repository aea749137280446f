// append_json_string scans 8 bytes at a time and tests short tails as one
// word built with util::load_short; these tests put every character that needs
// escaping at every position of strings of every length around the word
// boundaries, against a byte-by-byte reference.
#include "util/json_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "util/word_load.h"

namespace cdp_relay::util {
namespace {

std::string reference_escape(std::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// The value in a heap block of exactly its size, so a sanitizer build reports
// any read past its end.
std::string escape_exact(std::string_view value) {
  auto block = std::make_unique<char[]>(value.size());
  std::copy(value.begin(), value.end(), block.get());
  std::string out;
  append_json_string(out, std::string_view(block.get(), value.size()));
  return out;
}

TEST(AppendJsonStringTest, EscapesEveryPositionOfEveryShortLength) {
  const std::string specials = std::string("\"\\\n\r\t\b\f") + '\x01' + '\x1f' + '\0';
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (char special : specials) {
        std::string value(length, 'a');
        value[at] = special;
        ASSERT_EQ(escape_exact(value), reference_escape(value))
            << "length " << length << " position " << at << " byte " << int(special);
      }
    }
  }
}

TEST(AppendJsonStringTest, CopiesCleanStringsOfEveryLengthUnchanged) {
  // Includes bytes close to the escape set (space, '!', '#', '[', ']') and UTF-8.
  const std::string pool = " !#[]~az\xc3\xa9/";
  for (size_t length = 0; length <= 40; ++length) {
    std::string value;
    for (size_t i = 0; i < length; ++i) value.push_back(pool[(i * 7 + length) % pool.size()]);
    EXPECT_EQ(escape_exact(value), "\"" + value + "\"") << "length " << length;
  }
}

TEST(LoadShortTest, CoversEveryByteAndTellsEqualLengthStringsApart) {
  // Two strings of one length give equal words only if they are equal: flip
  // each byte of each length in turn and the word must change.
  for (size_t length = 1; length <= 8; ++length) {
    const std::string base(length, 'k');
    const uint64_t base_word = load_short(base.data(), length, 0);
    for (size_t at = 0; at < length; ++at) {
      std::string changed = base;
      changed[at] = 'q';
      EXPECT_NE(load_short(changed.data(), length, 0), base_word)
          << "length " << length << " byte " << at << " is not covered";
    }
  }
  // Bytes not needed to cover a 1..3-byte string are the fill's.
  EXPECT_EQ(load_short("ab", 2, 0x2020202020202020ULL) >> 24, 0x2020202020ULL);
  EXPECT_EQ(load_short("", 0, 0x1234), 0x1234U);
}

}  // namespace
}  // namespace cdp_relay::util
