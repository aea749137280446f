// util::NumberTexts: the original text of a document's numbers, found by
// value, for numbers simdjson parses and for those it cannot hold.
#include "util/number_texts.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "util/json_writer.h"

namespace cdp_relay::util {
namespace {

// Parses `json` the way the decoder does and re-serializes it through
// append_json_value with the document's number texts.
std::string round_trip(const std::string& json) {
  NumberTexts numbers;
  std::string rewritten;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  numbers.reset(json);
  auto code = parser.parse(json).get(root);
  if (code == simdjson::NUMBER_ERROR && numbers.rewrite_unrepresentable(json, rewritten) > 0) {
    code = parser.parse(rewritten).get(root);
  }
  EXPECT_EQ(code, simdjson::SUCCESS) << json;
  std::string out;
  if (code == simdjson::SUCCESS) append_json_value(out, root, &numbers);
  return out;
}

TEST(NumberTextsTest, CompactDocumentsComeBackByteForByte) {
  for (const std::string json : {
           R"({"a":1.0,"b":2.50,"c":1e5,"d":2E+5,"e":-0.0,"f":0.1,"g":[1.10,2.200]})",
           R"({"big":36893488147419103000,"neg":-98765432109876543210,"ok":18446744073709551615})",
           R"({"overflow":1e400,"minus":-1E400,"under":1e-400,"mixed":[1e400,2.50,3]})",
           R"([12345678901234567890123456789,1.5e300,-9223372036854775808,-9223372036854775809])",
           R"({"s":"1.0 and 36893488147419103000 in a string \" 2.50","n":2.50})",
       }) {
    EXPECT_EQ(round_trip(json), json);
  }
}

TEST(NumberTextsTest, TextsAreFoundByValue) {
  NumberTexts numbers;
  numbers.reset(R"({"x":2.50,"y":0.5,"z":"3.50","i":7})");
  EXPECT_EQ(numbers.original_text(2.5), "2.50");
  EXPECT_EQ(numbers.original_text(0.5), "0.5");
  EXPECT_EQ(numbers.original_text(7.0), "");   // an integer: written from its value
  EXPECT_EQ(numbers.original_text(3.5), "");   // only inside a string
  EXPECT_EQ(numbers.original_text(8.0), "");   // not in the document
}

// The source is scanned only as far as a lookup needs; lookups in any order
// still give each value's first text in the document.
TEST(NumberTextsTest, LookupsInAnyOrderGiveTheFirstTextOfEachValue) {
  NumberTexts numbers;
  numbers.reset(R"({"a":1.50,"b":[2.0,"x\"9.5"],"c":1.5,"d":9.50,"e":2.00})");
  EXPECT_EQ(numbers.original_text(9.5), "9.50");  // past "a", "b" and a string
  EXPECT_EQ(numbers.original_text(1.5), "1.50");  // scanned already: the first
  EXPECT_EQ(numbers.original_text(2.0), "2.0");
  EXPECT_EQ(numbers.original_text(4.0), "");      // scans to the end
  EXPECT_EQ(numbers.original_text(2.0), "2.0");   // and keeps what it found
  numbers.reset(R"({"e":2.00,"f":3.25})");        // a new document starts over
  EXPECT_EQ(numbers.original_text(3.25), "3.25");
  EXPECT_EQ(numbers.original_text(2.0), "2.00");
}

TEST(NumberTextsTest, RewriteReplacesOnlyWhatNo64BitTypeHolds) {
  NumberTexts numbers;
  std::string parsed;
  const std::string source = R"({"a":99999999999999999999,"b":1,"c":"99999999999999999999","d":1e999})";
  EXPECT_EQ(numbers.rewrite_unrepresentable(source, parsed), 2u);
  EXPECT_EQ(parsed.find("99999999999999999999,"), std::string::npos) << parsed;
  EXPECT_NE(parsed.find(R"("b":1,)"), std::string::npos) << parsed;
  EXPECT_NE(parsed.find(R"("c":"99999999999999999999")"), std::string::npos) << "strings untouched";
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(parsed).get(root), simdjson::SUCCESS) << parsed;
  EXPECT_EQ(numbers.original_text(double(root["a"])), "99999999999999999999");
  EXPECT_EQ(numbers.original_text(double(root["d"])), "1e999");
  EXPECT_NE(double(root["a"]), double(root["d"])) << "each replaced number has a value of its own";
  NumberTexts clean;
  EXPECT_EQ(clean.rewrite_unrepresentable(R"({"a":1,"b":[2.5]})", parsed), 0u);
}

}  // namespace
}  // namespace cdp_relay::util
