// DecodeLimits::max_string_bytes (docs/config.md `limits`): a JSON string (a
// value or a member name) longer than the limit is `too_large`. A string
// outside every batch item rejects the message; one inside an item rejects
// only that item. The limit counts unescaped bytes and is inclusive.
#include <gtest/gtest.h>

#include <string>

#include "app/config_loader.h"
#include "decode/decoder.h"
#include "support/decode_helpers.h"

namespace cdp_relay::decode {
namespace {

using cdp_relay::testing::reasons_of;
using cdp_relay::testing::test_origin;

constexpr size_t kLimit = 100;

DecodeLimits string_limit(size_t max_string_bytes) {
  DecodeLimits limits;
  limits.max_string_bytes = max_string_bytes;
  return limits;
}

std::string track(const std::string& properties, const std::string& user = "u") {
  return R"({"type":"track","event":"E","userId":")" + user +
         R"(","timestamp":"2024-03-01T09:00:00Z","properties":)" + properties + "}";
}

std::string mp_event(const std::string& name) {
  return R"({"event_type":"custom_event","data":{"event_name":")" + name +
         R"(","timestamp_unixtime_ms":1709283600000}})";
}

class StringLimitTest : public ::testing::Test {
 protected:
  Decoder decoder_{string_limit(kLimit)};
  DecodedMessage out_;

  void decode(const std::string& bytes, InputFormat format = InputFormat::kAuto) {
    decoder_.decode(bytes, format, test_origin(), out_);
  }
};

TEST(StringLimitDefaultTest, Is64KiB) { EXPECT_EQ(DecodeLimits{}.max_string_bytes, 64u * 1024); }

TEST_F(StringLimitTest, AtTheLimitIsAcceptedAboveIsTooLarge) {
  decode(track(R"({"p":")" + std::string(kLimit, 'x') + R"("})"));
  EXPECT_EQ(out_.events.size(), 1u) << reasons_of(out_);
  decode(track(R"({"p":")" + std::string(kLimit + 1, 'x') + R"("})"));
  ASSERT_EQ(out_.rejections.size(), 1u);
  EXPECT_TRUE(out_.events.empty());
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
  EXPECT_TRUE(out_.rejections[0].whole_message);
  EXPECT_EQ(out_.rejections[0].error.message, "a string is 101 bytes, limit is 100");
}

TEST_F(StringLimitTest, MemberNamesCount) {
  decode(track("{\"" + std::string(kLimit + 1, 'k') + "\":1}"));
  ASSERT_EQ(out_.rejections.size(), 1u) << reasons_of(out_);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
}

TEST_F(StringLimitTest, IdentityFieldsCount) {
  decode(track("{}", std::string(kLimit + 1, 'u')));
  ASSERT_EQ(out_.rejections.size(), 1u) << reasons_of(out_);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
}

// The first version of the string walk iterated value_unsafe() of a temporary
// simdjson result; ASan (decode_fuzz) caught it on strings inside arrays.
TEST_F(StringLimitTest, LongStringInsideArrayRegression) {
  decode(track(R"({"a":[1,[true,")" + std::string(kLimit + 1, 'x') + R"("]]})"));
  ASSERT_EQ(out_.rejections.size(), 1u) << reasons_of(out_);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
  decode(track(R"({"a":[1,[true,")" + std::string(kLimit, 'x') + R"("]]})"));
  EXPECT_EQ(out_.events.size(), 1u) << reasons_of(out_);
}

// The limit is on the decoded string: escapes that make the raw text longer
// than the limit do not count against it.
TEST_F(StringLimitTest, CountsUnescapedBytes) {
  std::string escaped;
  for (size_t i = 0; i < kLimit; ++i) escaped += "\\u0041";
  decode(track(R"({"p":")" + escaped + R"("})"));
  EXPECT_EQ(out_.events.size(), 1u) << reasons_of(out_);
  decode(track(R"({"p":")" + escaped + R"(A"})"));
  ASSERT_EQ(out_.rejections.size(), 1u);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
}

TEST_F(StringLimitTest, SegmentBatchItemRejectsOnlyThatItem) {
  const std::string good = track("{}");
  const std::string bad = track(R"({"p":")" + std::string(kLimit + 1, 'x') + R"("})");
  decode(R"({"batch":[)" + good + "," + bad + "," + good + "]}");
  EXPECT_EQ(out_.events.size(), 2u) << reasons_of(out_);
  ASSERT_EQ(out_.rejections.size(), 1u);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
  EXPECT_EQ(out_.rejections[0].index, 1u);
  EXPECT_FALSE(out_.rejections[0].whole_message);
  // The DLQ value is the item itself (no envelope context here).
  EXPECT_NE(out_.rejections[0].value.find(std::string(kLimit + 1, 'x')), std::string::npos);
}

TEST_F(StringLimitTest, SegmentEnvelopeContextRejectsTheMessage) {
  decode(R"({"context":{"c":")" + std::string(kLimit + 1, 'x') + R"("},"batch":[)" +
         track("{}") + "]}");
  EXPECT_TRUE(out_.events.empty());
  ASSERT_EQ(out_.rejections.size(), 1u);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
  EXPECT_TRUE(out_.rejections[0].whole_message);
}

TEST_F(StringLimitTest, MparticleEventRejectsOnlyThatEvent) {
  decode(R"({"mpid":42,"environment":"production","events":[)" + mp_event("ok") + "," +
         mp_event(std::string(kLimit + 1, 'n')) + "]}");
  EXPECT_EQ(out_.events.size(), 1u) << reasons_of(out_);
  ASSERT_EQ(out_.rejections.size(), 1u);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
  EXPECT_EQ(out_.rejections[0].index, 1u);
  EXPECT_FALSE(out_.rejections[0].whole_message);
}

TEST_F(StringLimitTest, MparticleBatchFieldRejectsTheMessage) {
  decode(R"({"mpid":42,"environment":"production","user_attributes":{"a":")" +
             std::string(kLimit + 1, 'x') + R"("},"events":[)" + mp_event("ok") + "]}",
         InputFormat::kMparticle);
  EXPECT_TRUE(out_.events.empty());
  ASSERT_EQ(out_.rejections.size(), 1u);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kTooLarge);
  EXPECT_TRUE(out_.rejections[0].whole_message);
}

TEST(StringLimitConfigTest, LoadsFromLimitsAndIsValidated) {
  const auto no_env = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  const std::string base =
      "sources:\n  - topic: raw-events\ndead_letter:\n  topic: dlq\ndestinations:\n  vidora:\n"
      "    api_key: k\n";
  auto loaded = app::load_config_text(base + "limits:\n  max_string_bytes: 4096\n", no_env);
  EXPECT_TRUE(loaded.errors.empty());
  EXPECT_EQ(loaded.config.limits.max_string_bytes, 4096u);
  loaded = app::load_config_text(base + "limits:\n  max_string_bytes: 0\n", no_env);
  ASSERT_EQ(loaded.errors.all().size(), 1u);
  EXPECT_EQ(loaded.errors.all()[0].path, "limits.max_string_bytes");
}

}  // namespace
}  // namespace cdp_relay::decode
