// Property test of the decode stage and the Vidora encoder over ~20k
// deterministic random inputs (fixed seeds, no wall clock): random JSON with
// Segment/mParticle field names, plausible messages with random omissions,
// random truncation and byte flips (incl. invalid UTF-8).
//
// Properties:
//  1. decode() never crashes;
//  2. every input yields at least one event or rejection, unless it is a
//     valid, empty batch;
//  3. every rejection carries a known reason name;
//  4. every decoded event encodes (VidoraEventEncoder) to a JSON object, parsed
//     by an independent parser, whose values are all scalars.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "destinations/vidora/vidora_event_encoder.h"
#include "support/decode_helpers.h"
#include "support/vidora_helpers.h"

namespace cdp_relay::decode {
namespace {

using nlohmann::json;

const std::vector<std::string> kKeys = {
    "type", "events", "batch", "mpid", "userId", "anonymousId", "messageId", "timestamp",
    "originalTimestamp", "sentAt", "receivedAt", "event", "name", "category", "properties",
    "traits", "context", "integrations", "groupId", "previousId", "Vidora", "All", "event_type",
    "data", "timestamp_unixtime_ms", "source_message_id", "custom_attributes", "event_name",
    "custom_event_type", "screen_name", "product_action", "promotion_action", "action",
    "product_impressions", "user_identities", "identity_type", "identity", "user_attributes",
    "device_info", "consent_state", "gdpr", "ccpa", "data_sale_opt_out", "consented", "ip",
    "environment", "$FirstName", "user_id", "prop_user_id", "a_b", "productId", "Product Name",
    "", "_", "$$", "caf\xC3\xA9", "\xE6\x9D\xB1\xE4\xBA\xAC", "ios_advertising_id", "push_token"};

const std::vector<std::string> kStrings = {
    "track", "page", "screen", "identify", "group", "alias", "custom_event", "screen_view",
    "commerce_event", "session_start", "opt_out", "purchase", "production", "2024-03-01T09:00:00Z",
    "2015-2-02T00:30:08.276Z", "2024-02-30T00:00:00Z", "yesterday", "", "true", "false",
    "1709283600000", "u-1", "\xF0\x9F\x8E\xAC", "line\nbreak", "quote\"", "back\\slash"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  void scalar(std::string& out) {
    switch (below(9)) {
      case 0: out += "null"; break;
      case 1: out += chance(0.5) ? "true" : "false"; break;
      case 2: out += std::to_string(static_cast<int64_t>(rng_())); break;
      case 3: out += std::to_string(rng_()); break;  // may exceed int64
      case 4: out += std::to_string(static_cast<int>(below(2000)) - 1000); break;
      case 5: out += std::to_string(std::uniform_real_distribution<double>(-1e6, 1e6)(rng_)); break;
      case 6: out += "1709283600000"; break;
      default: string(out); break;
    }
  }
  void string(std::string& out) {
    json text = kStrings[below(kStrings.size())];
    out += text.dump();
  }
  void key(std::string& out) { out += json(kKeys[below(kKeys.size())]).dump(); }

  void value(std::string& out, int depth) {
    const size_t pick = below(depth > 6 ? 2 : 5);
    if (pick < 2) return scalar(out);
    if (pick == 2) {
      out += '[';
      const size_t n = below(4);
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        value(out, depth + 1);
      }
      out += ']';
      return;
    }
    object(out, depth);
  }
  void object(std::string& out, int depth) {
    out += '{';
    const size_t n = below(6);
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ',';
      key(out);
      out += ':';
      value(out, depth + 1);
    }
    out += '}';
  }

  // A plausible input with random omissions, so that many inputs decode.
  std::string plausible() {
    static const char* kSegment[] = {"track", "page", "screen", "identify", "group", "alias"};
    static const char* kMparticle[] = {"custom_event", "screen_view", "commerce_event",
                                       "session_start", "session_end", "application_state_transition",
                                       "push_message", "user_attribute_change", "crash_report",
                                       "opt_out", "uninstall", "breadcrumb", "bogus"};
    auto segment_message = [&]() {
      std::string m = "{";
      m += R"("type":")" + std::string(kSegment[below(6)]) + "\"";
      if (chance(0.8)) m += R"(,"event":"Ev )" + std::to_string(below(5)) + "\"";
      if (chance(0.7)) m += R"(,"userId":"u)" + std::to_string(below(100)) + "\"";
      if (chance(0.4)) m += R"(,"anonymousId":"a)" + std::to_string(below(100)) + "\"";
      if (chance(0.85)) m += R"(,"timestamp":")" + std::string(chance(0.9) ? "2024-03-01T09:00:00.5+02:00" : "2024-13-01") + "\"";
      if (chance(0.5)) m += R"(,"messageId":"m)" + std::to_string(below(1000)) + "\"";
      if (chance(0.2)) m += R"(,"integrations":{"Vidora":)" + std::string(chance(0.5) ? "false" : "true") + "}";
      for (const char* field : {"properties", "traits", "context"}) {
        if (chance(0.6)) {
          m += std::string(",\"") + field + "\":";
          object(m, 1);
        }
      }
      return m + "}";
    };
    auto mparticle_event = [&]() {
      std::string e = R"({"event_type":")" + std::string(kMparticle[below(13)]) + R"(","data":{)";
      e += R"("timestamp_unixtime_ms":)" + std::string(chance(0.9) ? "1709283600000" : "\"x\"");
      if (chance(0.7)) e += R"(,"event_name":"Ev")";
      if (chance(0.3)) e += R"(,"product_action":{"action":"purchase"})";
      if (chance(0.2)) e += R"(,"promotion_action":{"action":"click"})";
      if (chance(0.2)) e += R"(,"product_impressions":[])";
      if (chance(0.5)) {
        e += R"(,"custom_attributes":)";
        object(e, 2);
      }
      return e + "}}";
    };
    switch (below(3)) {
      case 0: return segment_message();
      case 1: {
        std::string b = R"({"batch":[)";
        const size_t n = below(5);  // up to one over max_batch_items
        for (size_t i = 0; i < n; ++i) b += (i ? "," : "") + segment_message();
        b += "]";
        if (chance(0.5)) {
          b += R"(,"context":)";
          object(b, 1);
        }
        if (chance(0.3)) b += R"(,"integrations":{"All":false})";
        return b + "}";
      }
      default: {
        std::string b = "{";
        b += chance(0.9) ? R"("mpid":)" + std::to_string(static_cast<int64_t>(rng_())) : R"("x":1)";
        b += R"(,"environment":"production","events":[)";
        const size_t n = below(5);
        for (size_t i = 0; i < n; ++i) b += (i ? "," : "") + mparticle_event();
        b += "]";
        if (chance(0.5)) b += R"(,"user_identities":[{"identity_type":"email","identity":"e@x"}])";
        if (chance(0.3)) b += R"(,"consent_state":{"gdpr":{"m":{"consented":"true"}},"ccpa":{"data_sale_opt_out":{"consented":1}}})";
        if (chance(0.5)) {
          b += R"(,"device_info":)";
          object(b, 1);
        }
        if (chance(0.5)) {
          b += R"(,"user_attributes":)";
          object(b, 1);
        }
        return b + "}";
      }
    }
  }

  // Truncation, byte flips (including invalid UTF-8) and deep nesting.
  void mutate(std::string& text) {
    const size_t kind = below(10);
    if (kind < 5 || text.empty()) return;  // half the inputs stay intact
    if (kind == 5) {
      text.resize(below(text.size()));
    } else if (kind <= 7) {
      static const unsigned char kBytes[] = {0xFF, 0xC3, 0x28, 0xC0, 0xAF, 0xED, 0xA0, 0x80,
                                             '"', '{', '}', '[', ']', ',', ':', '\\', 0x00, 0x01};
      const size_t flips = 1 + below(3);
      for (size_t i = 0; i < flips; ++i) {
        text[below(text.size())] = static_cast<char>(kBytes[below(sizeof kBytes)]);
      }
    } else if (kind == 8) {
      const std::string bad = chance(0.5) ? "\xC3\x28" : "\xFF";
      const size_t quote = text.find('"', below(text.size()));
      if (quote != std::string::npos) text.insert(quote + 1, bad);
    } else {
      const size_t n = 60 + below(10);
      const size_t at = text.rfind('}');
      if (at != std::string::npos && at > 0) {
        text.insert(at, R"(,"properties":{"deep":)" + std::string(n, '[') + std::string(n, ']') + "}");
      }
    }
  }

 private:
  std::mt19937_64 rng_;
};

bool is_valid_empty_batch(const std::string& input) {
  const json root = json::parse(input, nullptr, false);
  if (root.is_discarded() || !root.is_object()) return false;
  if (root.contains("events") && root["events"].is_array() && root["events"].empty()) return true;
  if (root.contains("batch") && root["batch"].is_array() && root["batch"].empty()) return true;
  return false;
}

TEST(DecodePropertyTest, RandomInputsNeverCrashAndAlwaysAccountForEveryInput) {
  const std::set<std::string> known = {
      "invalid_json",  "unknown_format", "missing_identity", "missing_timestamp",
      "bad_timestamp", "too_large",      "too_deep",         "unsupported_type",
      "invalid_utf8",  "too_many_items", "missing_event_name"};
  DecodeLimits limits;
  limits.max_message_bytes = 4096;  // small, so that some inputs are too_large
  limits.max_batch_items = 3;       // and some batches too_many_items
  Decoder decoder(limits);
  DecodedMessage out;

  destinations::vidora::VidoraSettings filtered;
  destinations::vidora::VidoraSettings unfiltered;
  unfiltered.personal_data_filtering = false;
  unfiltered.timestamp_format = destinations::vidora::TimestampFormat::kIso8601;
  destinations::vidora::VidoraEventEncoder encoders[] = {
      destinations::vidora::VidoraEventEncoder(filtered),
      destinations::vidora::VidoraEventEncoder(unfiltered)};

  size_t inputs = 0, events = 0, encoded = 0, rejections = 0, empty_batches = 0;
  std::set<std::string> reasons_seen;
  route::DestinationOutput output;
  for (uint64_t seed : {1ULL, 2ULL, 3ULL, 4ULL}) {
    Generator gen(seed);
    for (int i = 0; i < 5000; ++i) {
      std::string input;
      if (gen.chance(0.6)) {
        input = gen.plausible();
      } else {
        gen.value(input, 0);
      }
      gen.mutate(input);
      const InputFormat format = gen.chance(0.8)  ? InputFormat::kAuto
                                 : gen.chance(0.5) ? InputFormat::kSegment
                                                   : InputFormat::kMparticle;
      ++inputs;
      decoder.decode(input, format, cdp_relay::testing::test_origin(i), out);

      if (out.events.empty() && out.rejections.empty()) {
        ASSERT_TRUE(is_valid_empty_batch(input)) << "seed " << seed << " #" << i << ": " << input;
        ++empty_batches;
      }
      for (const auto& rejection : out.rejections) {
        const std::string reason(to_string(rejection.error.reason));
        ASSERT_TRUE(known.count(reason)) << reason;
        reasons_seen.insert(reason);
        if (!rejection.whole_message) {
          // An item's DLQ value is itself valid JSON.
          ASSERT_FALSE(json::parse(rejection.value, nullptr, false).is_discarded())
              << rejection.value;
        }
      }
      rejections += out.rejections.size();
      events += out.events.size();
      for (const CanonicalEvent& event : out.events) {
        for (auto& encoder : encoders) {
          output.clear();
          route::WireEvents sink(output, 0);
          if (encoder.encode(event, sink) != RouteDecision::kRouted) {
            ASSERT_TRUE(output.buffer.empty());
            ASSERT_EQ(event.kind, EventKind::kAlias);
            continue;
          }
          ASSERT_EQ(output.events.size(), 1u);
          const std::string wire(output.bytes(output.events[0]));
          ++encoded;
          const json parsed = json::parse(wire, nullptr, false);
          ASSERT_FALSE(parsed.is_discarded()) << "input: " << input << "\noutput: " << wire;
          ASSERT_TRUE(cdp_relay::testing::is_flat_object(parsed)) << wire;
          ASSERT_TRUE(parsed["user_id"].is_string());
          ASSERT_FALSE(parsed["user_id"].get<std::string>().empty()) << wire;
          ASSERT_TRUE(parsed["type"].is_string()) << wire;
          ASSERT_TRUE(parsed["event_id"].is_string()) << wire;
        }
      }
    }
  }
  // The generator must actually exercise both outcomes and most reasons,
  // otherwise the properties above prove little.
  EXPECT_EQ(inputs, 20000u);
  EXPECT_GT(events, 3000u);
  EXPECT_GT(encoded, 3000u);
  EXPECT_GT(rejections, 3000u);
  EXPECT_GT(empty_batches, 0u);
  for (const char* reason : {"invalid_json", "unknown_format", "missing_identity",
                             "missing_timestamp", "bad_timestamp", "too_large", "too_deep",
                             "unsupported_type", "invalid_utf8", "too_many_items",
                             "missing_event_name"}) {
    EXPECT_TRUE(reasons_seen.count(reason)) << "never produced: " << reason;
  }
}

}  // namespace
}  // namespace cdp_relay::decode
