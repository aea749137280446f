#include "util/string_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace cdp_relay::util {
namespace {

TEST(StringPoolTest, TakeHoldsTheContentsAndReusesAGivenBuffer) {
  StringPool pool(1 << 20);
  EXPECT_EQ(pool.take("fresh"), "fresh");  // nothing spare: a new string

  std::string used(1000, 'x');
  const char* buffer = used.data();
  pool.give(std::move(used));
  EXPECT_EQ(pool.spare(), 1u);
  const std::string reused = pool.take(R"({"event":"e"})");
  EXPECT_EQ(reused, R"({"event":"e"})");
  EXPECT_EQ(reused.data(), buffer) << "the given buffer, not a new allocation";
  EXPECT_GE(reused.capacity(), 1000u);
  EXPECT_EQ(pool.spare(), 0u);
}

TEST(StringPoolTest, KeepsAtMostItsBoundInBytes) {
  StringPool pool(4096);
  pool.give(std::string(1500, 'a'));
  pool.give(std::string(1500, 'b'));
  EXPECT_EQ(pool.spare(), 2u);
  pool.give(std::string(1500, 'c'));  // would exceed 4096 bytes of buffers
  EXPECT_EQ(pool.spare(), 2u);
  EXPECT_LE(pool.spare_bytes(), 4096u);
  pool.give(std::string(5000, 'z'));  // larger than the whole bound
  EXPECT_EQ(pool.spare(), 2u);

  // Taking frees room again.
  EXPECT_EQ(pool.take("x"), "x");
  pool.give(std::string(1500, 'c'));
  EXPECT_EQ(pool.spare(), 2u);
}

}  // namespace
}  // namespace cdp_relay::util
