// util::equal_bytes: word compares in place of memcmp for short names.
#include "util/word_load.h"

#include <gtest/gtest.h>

#include <string>

namespace cdp_relay::util {
namespace {

// Every length across the 8- and 16-byte paths, and a difference at every
// position: the overlapping loads must between them cover each byte.
TEST(WordLoadTest, EqualBytesSeesADifferenceAtEveryPositionOfEveryLength) {
  for (size_t length = 0; length <= 24; ++length) {
    std::string a;
    for (size_t i = 0; i < length; ++i) a.push_back(static_cast<char>('a' + i % 26));
    const std::string same = a;
    EXPECT_FALSE(equal_bytes(a, a + "x")) << length;  // a prefix is not equal
    EXPECT_TRUE(equal_bytes(a, same)) << length;
    for (size_t at = 0; at < length; ++at) {
      std::string other = a;
      other[at] = '_';
      EXPECT_FALSE(equal_bytes(a, other)) << length << " at " << at;
    }
  }
}

}  // namespace
}  // namespace cdp_relay::util
