// Every decode reason code (README "Dead-letter topic"), table-driven with at least
// two inputs each, plus every line of tests/fixtures/bad/.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "support/decode_helpers.h"
#include "support/test_paths.h"

namespace cdp_relay::decode {
namespace {

using cdp_relay::testing::reasons_of;
using cdp_relay::testing::test_origin;

struct ReasonCase {
  std::string name;  // test label
  Reason expected;
  std::string input;
  InputFormat format = InputFormat::kAuto;
  DecodeLimits limits = {};
};

std::string nested_arrays(int depth, const std::string& inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

std::string track_with_properties(const std::string& properties) {
  return R"({"type":"track","event":"E","userId":"u","timestamp":"2024-03-01T09:00:00Z","properties":)" +
         properties + "}";
}

DecodeLimits limits_with(size_t max_message_bytes, size_t max_depth, size_t max_batch_items) {
  DecodeLimits limits;
  limits.max_message_bytes = max_message_bytes;
  limits.max_depth = max_depth;
  limits.max_batch_items = max_batch_items;
  return limits;
}

const std::string kTrack =
    R"({"type":"track","event":"E","userId":"u","timestamp":"2024-03-01T09:00:00Z"})";
const std::string kMpEvent =
    R"({"event_type":"session_start","data":{"timestamp_unixtime_ms":1709283600000}})";

std::vector<ReasonCase> reason_cases() {
  const DecodeLimits defaults;
  std::vector<ReasonCase> cases = {
      // invalid_json
      {"truncated_object", Reason::kInvalidJson, R"({"type":"track","event":)"},
      {"single_quotes", Reason::kInvalidJson, R"({'type':'track'})"},
      {"plain_text", Reason::kInvalidJson, "hello world"},
      {"empty_input", Reason::kInvalidJson, ""},
      {"trailing_garbage", Reason::kInvalidJson, kTrack + " x"},
      {"nan", Reason::kInvalidJson, R"({"type":"track","n":NaN})"},
      // unknown_format
      {"object_without_markers", Reason::kUnknownFormat, R"({"foo":1})"},
      {"top_level_array", Reason::kUnknownFormat, "[" + kTrack + "]"},
      {"scalar", Reason::kUnknownFormat, "42"},
      {"null", Reason::kUnknownFormat, "null"},
      {"capitalised_type", Reason::kUnknownFormat,
       R"({"type":"Track","event":"E","userId":"u","timestamp":"2024-03-01T09:00:00Z"})"},
      {"batch_not_array", Reason::kUnknownFormat, R"({"batch":{"type":"track"}})"},
      {"forced_mparticle_without_events", Reason::kUnknownFormat, kTrack, InputFormat::kMparticle},
      // missing_identity
      {"segment_no_ids", Reason::kMissingIdentity,
       R"({"type":"track","event":"E","timestamp":"2024-03-01T09:00:00Z"})"},
      {"segment_empty_ids", Reason::kMissingIdentity,
       R"({"type":"identify","userId":"","anonymousId":"","timestamp":"2024-03-01T09:00:00Z"})"},
      {"segment_null_ids", Reason::kMissingIdentity,
       R"({"type":"page","userId":null,"anonymousId":null,"timestamp":"2024-03-01T09:00:00Z"})"},
      {"mparticle_no_mpid", Reason::kMissingIdentity,
       R"({"environment":"production","events":[)" + kMpEvent + "]}"},
      {"mparticle_null_mpid", Reason::kMissingIdentity,
       R"({"mpid":null,"environment":"production","events":[)" + kMpEvent + "]}"},
      // missing_timestamp
      {"segment_no_timestamp", Reason::kMissingTimestamp,
       R"({"type":"track","event":"E","userId":"u"})"},
      {"segment_null_timestamps", Reason::kMissingTimestamp,
       R"({"type":"track","event":"E","userId":"u","timestamp":null,"sentAt":null})"},
      {"mparticle_no_timestamp", Reason::kMissingTimestamp,
       R"({"mpid":1,"events":[{"event_type":"session_start","data":{}}]})"},
      {"mparticle_no_data", Reason::kMissingTimestamp,
       R"({"mpid":1,"events":[{"event_type":"session_end"}]})"},
      // bad_timestamp
      {"segment_words", Reason::kBadTimestamp,
       R"({"type":"track","event":"E","userId":"u","timestamp":"yesterday"})"},
      {"segment_number", Reason::kBadTimestamp,
       R"({"type":"track","event":"E","userId":"u","timestamp":1709283600})"},
      {"segment_no_such_day", Reason::kBadTimestamp,
       R"({"type":"track","event":"E","userId":"u","originalTimestamp":"2023-02-29T09:00:00Z"})"},
      {"segment_bad_first_field_does_not_fall_through", Reason::kBadTimestamp,
       R"({"type":"track","event":"E","userId":"u","timestamp":"","sentAt":"2024-03-01T09:00:00Z"})"},
      {"mparticle_string", Reason::kBadTimestamp,
       R"({"mpid":1,"events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":"soon"}}]})"},
      {"mparticle_object", Reason::kBadTimestamp,
       R"({"mpid":1,"events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":{"ms":1}}}]})"},
      {"mparticle_negative", Reason::kBadTimestamp,
       R"({"mpid":1,"events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":-5}}]})"},
      {"mparticle_batch_level", Reason::kBadTimestamp,
       R"({"mpid":1,"timestamp_unixtime_ms":true,"events":[{"event_type":"session_start"}]})"},
      // too_large
      {"over_small_limit", Reason::kTooLarge, kTrack, InputFormat::kAuto,
       limits_with(kTrack.size() - 1, 64, 10000)},
      {"garbage_over_limit", Reason::kTooLarge, std::string(200, 'x'), InputFormat::kAuto,
       limits_with(100, 64, 10000)},
      {"batch_over_limit", Reason::kTooLarge, R"({"batch":[)" + kTrack + "," + kTrack + "]}",
       InputFormat::kAuto, limits_with(2 * kTrack.size(), 64, 10000)},
      // too_deep
      {"65_arrays_in_properties", Reason::kTooDeep,
       track_with_properties(R"({"x":)" + nested_arrays(65) + "}")},
      {"10000_arrays", Reason::kTooDeep, track_with_properties(nested_arrays(10000))},
      {"objects_over_depth_8", Reason::kTooDeep,
       track_with_properties(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}})"), InputFormat::kAuto,
       limits_with(defaults.max_message_bytes, 8, 10000)},
      {"arrays_over_depth_8", Reason::kTooDeep, track_with_properties(nested_arrays(8)),
       InputFormat::kAuto, limits_with(defaults.max_message_bytes, 8, 10000)},
      // unsupported_type
      {"forced_segment_purchase", Reason::kUnsupportedType,
       R"({"type":"purchase","userId":"u","timestamp":"2024-03-01T09:00:00Z"})", InputFormat::kSegment},
      {"forced_segment_no_type", Reason::kUnsupportedType,
       R"({"userId":"u","timestamp":"2024-03-01T09:00:00Z"})", InputFormat::kSegment},
      {"batch_item_type", Reason::kUnsupportedType,
       R"({"batch":[{"type":"purchase","userId":"u","timestamp":"2024-03-01T09:00:00Z"}]})"},
      {"mparticle_event_type", Reason::kUnsupportedType,
       R"({"mpid":1,"events":[{"event_type":"not_a_type","data":{"timestamp_unixtime_ms":1}}]})"},
      {"mparticle_numeric_event_type", Reason::kUnsupportedType,
       R"({"mpid":1,"events":[{"event_type":42,"data":{"timestamp_unixtime_ms":1}}]})"},
      {"commerce_without_action", Reason::kUnsupportedType,
       R"({"mpid":1,"events":[{"event_type":"commerce_event","data":{"timestamp_unixtime_ms":1}}]})"},
      // invalid_utf8
      {"c3_28_in_string", Reason::kInvalidUtf8,
       "{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u\xC3\x28\",\"timestamp\":\"2024-03-01T09:00:00Z\"}"},
      {"ff_in_string", Reason::kInvalidUtf8,
       "{\"type\":\"track\",\"event\":\"E\xFF\",\"userId\":\"u\",\"timestamp\":\"2024-03-01T09:00:00Z\"}"},
      {"ff_in_mparticle_attribute", Reason::kInvalidUtf8,
       "{\"mpid\":1,\"events\":[{\"event_type\":\"session_start\",\"data\":{\"timestamp_unixtime_ms\":1,"
       "\"custom_attributes\":{\"k\":\"\xFF\"}}}]}"},
      {"overlong_in_key", Reason::kInvalidUtf8,
       "{\"type\":\"track\",\"event\":\"E\",\"userId\":\"u\",\"timestamp\":\"2024-03-01T09:00:00Z\","
       "\"properties\":{\"\xC0\xAF\":1}}"},
      // too_many_items
      {"segment_batch_of_3_limit_2", Reason::kTooManyItems,
       R"({"batch":[)" + kTrack + "," + kTrack + "," + kTrack + "]}", InputFormat::kAuto,
       limits_with(defaults.max_message_bytes, 64, 2)},
      {"mparticle_batch_of_3_limit_2", Reason::kTooManyItems,
       R"({"mpid":1,"events":[)" + kMpEvent + "," + kMpEvent + "," + kMpEvent + "]}",
       InputFormat::kAuto, limits_with(defaults.max_message_bytes, 64, 2)},
      // missing_event_name
      {"track_without_event", Reason::kMissingEventName,
       R"({"type":"track","userId":"u","timestamp":"2024-03-01T09:00:00Z"})"},
      {"track_empty_event", Reason::kMissingEventName,
       R"({"type":"track","event":"","userId":"u","timestamp":"2024-03-01T09:00:00Z"})"},
      {"track_numeric_event", Reason::kMissingEventName,
       R"({"type":"track","event":5,"userId":"u","timestamp":"2024-03-01T09:00:00Z"})"},
      {"custom_event_without_name", Reason::kMissingEventName,
       R"({"mpid":1,"events":[{"event_type":"custom_event","data":{"timestamp_unixtime_ms":1}}]})"},
  };
  return cases;
}

class ReasonTest : public ::testing::TestWithParam<ReasonCase> {};

TEST_P(ReasonTest, RejectsWithReason) {
  const ReasonCase& c = GetParam();
  Decoder decoder(c.limits);
  DecodedMessage out;
  const Origin origin = test_origin();
  decoder.decode(c.input, c.format, origin, out);
  EXPECT_TRUE(out.events.empty());
  ASSERT_EQ(out.rejections.size(), 1u) << reasons_of(out);
  EXPECT_EQ(to_string(out.rejections[0].error.reason), to_string(c.expected))
      << reasons_of(out);
  EXPECT_FALSE(out.rejections[0].error.message.empty());
}

INSTANTIATE_TEST_SUITE_P(AllReasons, ReasonTest, ::testing::ValuesIn(reason_cases()),
                         [](const ::testing::TestParamInfo<ReasonCase>& reason_case) {
                           return std::string(to_string(reason_case.param.expected)) + "_" +
                                  reason_case.param.name;
                         });

TEST(ReasonTableTest, EveryDecodeReasonHasAtLeastTwoCases) {
  std::map<Reason, int> counts;
  for (const auto& c : reason_cases()) ++counts[c.expected];
  for (Reason reason : {Reason::kInvalidJson, Reason::kUnknownFormat, Reason::kMissingIdentity,
                        Reason::kMissingTimestamp, Reason::kBadTimestamp, Reason::kTooLarge,
                        Reason::kTooDeep, Reason::kUnsupportedType, Reason::kInvalidUtf8,
                        Reason::kTooManyItems, Reason::kMissingEventName}) {
    EXPECT_GE(counts[reason], 2) << to_string(reason);
  }
}

TEST(ReasonNamesTest, AreStableSnakeCaseAndUnique) {
  const std::vector<std::pair<Reason, const char*>> expected = {
      {Reason::kInvalidJson, "invalid_json"},
      {Reason::kUnknownFormat, "unknown_format"},
      {Reason::kMissingIdentity, "missing_identity"},
      {Reason::kMissingTimestamp, "missing_timestamp"},
      {Reason::kBadTimestamp, "bad_timestamp"},
      {Reason::kTooLarge, "too_large"},
      {Reason::kTooDeep, "too_deep"},
      {Reason::kUnsupportedType, "unsupported_type"},
      {Reason::kInvalidUtf8, "invalid_utf8"},
      {Reason::kTooManyItems, "too_many_items"},
      {Reason::kMissingEventName, "missing_event_name"},
      {Reason::kRejectedByDestination, "rejected_by_destination"},
      {Reason::kClientError, "client_error"},
      {Reason::kRetriesExhausted, "retries_exhausted"},
      {Reason::kEventTooLarge, "event_too_large"},
  };
  EXPECT_EQ(expected.size(), kReasonCount) << "a reason without a pinned name";
  std::set<std::string> seen;
  for (const auto& [reason, name] : expected) {
    EXPECT_EQ(to_string(reason), name);
    EXPECT_TRUE(seen.insert(name).second) << name;
  }
  EXPECT_EQ(to_string(Stage::kDecode), "decode");
  EXPECT_EQ(to_string(Stage::kValidate), "validate");
  EXPECT_EQ(to_string(Stage::kTransform), "transform");
  EXPECT_EQ(to_string(Stage::kDeliver), "deliver");
}

// Limits are inclusive: exactly at the bound is accepted.
TEST(DecodeLimitsTest, BoundsAreInclusive) {
  DecodedMessage out;
  const Origin origin = test_origin();
  {
    Decoder decoder(limits_with(kTrack.size(), 64, 10000));
    decoder.decode(kTrack, InputFormat::kAuto, origin, out);
    EXPECT_EQ(out.events.size(), 1u) << reasons_of(out);
  }
  {
    // Nesting: the root object (1) + `properties` as 7 nested arrays = 8 levels.
    Decoder decoder(limits_with(1 << 20, 8, 10000));
    decoder.decode(track_with_properties(nested_arrays(7)), InputFormat::kAuto, origin, out);
    EXPECT_EQ(out.events.size(), 1u) << reasons_of(out);
    decoder.decode(track_with_properties(nested_arrays(8)), InputFormat::kAuto, origin, out);
    ASSERT_EQ(out.rejections.size(), 1u);
    EXPECT_EQ(out.rejections[0].error.reason, Reason::kTooDeep);
  }
  {
    // Default depth 64: the root object + 63 nested arrays is exactly 64 levels.
    Decoder decoder;
    decoder.decode(track_with_properties(nested_arrays(63)), InputFormat::kAuto, origin, out);
    EXPECT_EQ(out.events.size(), 1u) << reasons_of(out);
    decoder.decode(track_with_properties(nested_arrays(64)), InputFormat::kAuto, origin, out);
    ASSERT_EQ(out.rejections.size(), 1u);
    EXPECT_EQ(out.rejections[0].error.reason, Reason::kTooDeep);
  }
  {
    Decoder decoder(limits_with(1 << 20, 64, 2));
    decoder.decode(R"({"batch":[)" + kTrack + "," + kTrack + "]}", InputFormat::kAuto, origin,
                   out);
    EXPECT_EQ(out.events.size(), 2u) << reasons_of(out);
  }
}

// A message larger than the parser's initial buffer still parses.
TEST(DecodeLimitsTest, LargeMessagesWithinTheLimitParse) {
  std::string big = R"({"batch":[)";
  for (int i = 0; i < 2000; ++i) big += (i ? "," : "") + kTrack;
  big += "]}";
  ASSERT_GT(big.size(), 64u * 1024);
  Decoder decoder;
  DecodedMessage out;
  decoder.decode(big, InputFormat::kAuto, test_origin(), out);
  EXPECT_EQ(out.events.size(), 2000u) << reasons_of(out);
  // ...and the depth limit still holds after the buffer grew.
  decoder.decode(track_with_properties(nested_arrays(70)), InputFormat::kAuto, test_origin(), out);
  ASSERT_EQ(out.rejections.size(), 1u);
  EXPECT_EQ(out.rejections[0].error.reason, Reason::kTooDeep);
}

// ------------------------------------------------------------ bad fixtures

struct BadFile {
  std::string path;    // relative to the repository root
  std::string reason;  // the file's stem
  InputFormat format;
};

std::vector<BadFile> bad_files() {
  namespace fs = std::filesystem;
  std::vector<BadFile> files;
  const fs::path root = cdp_relay::testing::source_path("tests/fixtures/bad");
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".jsonl") continue;
    const fs::path relative = fs::relative(entry.path(), root);
    const bool forced = relative.parent_path() == "forced_segment";
    EXPECT_TRUE(forced || relative.parent_path().empty()) << relative;
    files.push_back(BadFile{"tests/fixtures/bad/" + relative.string(), entry.path().stem(),
                            forced ? InputFormat::kSegment : InputFormat::kAuto});
  }
  std::sort(files.begin(), files.end(),
            [](const BadFile& a, const BadFile& b) { return a.path < b.path; });
  return files;
}

TEST(BadFixturesTest, EveryLineIsRejectedWithTheFilesReason) {
  const auto files = bad_files();
  ASSERT_GE(files.size(), 9u);
  std::set<std::string> reasons_seen;
  Decoder decoder;
  DecodedMessage out;
  for (const BadFile& file : files) {
    const auto lines = cdp_relay::testing::read_lines(file.path);
    ASSERT_FALSE(lines.empty()) << file.path;
    reasons_seen.insert(file.reason);
    for (size_t i = 0; i < lines.size(); ++i) {
      SCOPED_TRACE(file.path + ":" + std::to_string(i + 1));
      decoder.decode(lines[i], file.format, test_origin(static_cast<int64_t>(i)), out);
      EXPECT_TRUE(out.events.empty());
      ASSERT_FALSE(out.rejections.empty());
      for (const auto& rejection : out.rejections) {
        EXPECT_EQ(to_string(rejection.error.reason), file.reason) << reasons_of(out);
      }
    }
  }
  for (const char* reason : {"invalid_json", "unknown_format", "missing_identity",
                             "missing_timestamp", "bad_timestamp", "unsupported_type",
                             "invalid_utf8", "too_deep"}) {
    EXPECT_TRUE(reasons_seen.count(reason)) << "no fixture file for " << reason;
  }
}

}  // namespace
}  // namespace cdp_relay::decode
