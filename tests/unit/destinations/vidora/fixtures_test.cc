// Every input fixture through the real transform stage and the Vidora
// encoder, with every output checked against the published contracts:
//  - each Vidora event against schemas/vidora-event.schema.json, and request
//    bodies (VidoraEncoder::append_request_body) against
//    schemas/vidora-request.schema.json, whose relative $ref is resolved
//    through valijson's fetchDoc;
//  - Segment fixtures against segment-message / segment-batch schemas;
//  - mParticle fixtures against mParticle's own Events API schema (a copy in
//    tests/fixtures/mparticle/reference/, so tests never read ../shared).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "destinations/vidora/vidora_encoder.h"
#include "support/json_schema.h"
#include "support/test_paths.h"
#include "support/vidora_helpers.h"

namespace cdp_relay::destinations::vidora {
namespace {

using cdp_relay::testing::JsonSchema;
using cdp_relay::testing::read_lines;
using cdp_relay::testing::VidoraHarness;
using nlohmann::json;

struct FixtureCounts {
  const char* file;
  size_t events;
  size_t skipped;   // aliases
  size_t filtered;  // integrations kept them away from Vidora
  size_t rejected;
};

// Derived by hand from tests/fixtures/README.md and the files themselves.
const FixtureCounts kFixtures[] = {
    // 20 messages: 1 alias; "Vidora":false and "All":false+"Spideo":true are
    // filtered; "All":false+"Vidora":true goes through.
    {"tests/fixtures/segment/messages.jsonl", 17, 1, 2, 0},
    // The same 20 messages as the SDK batched them.
    {"tests/fixtures/segment/batches.jsonl", 17, 1, 2, 0},
    // Line 2: envelope "Vidora":false filters items 1 and 3, item 2 has no
    // identity; line 8 "All":false; line 10 alias.
    {"tests/fixtures/segment/edge_cases.jsonl", 10, 1, 3, 1},
    {"tests/fixtures/mparticle/sdk_batches.jsonl", 22, 0, 0, 0},
    {"tests/fixtures/mparticle/outbound_batches.jsonl", 32, 0, 0, 0},
    {"tests/fixtures/mixed/small_tracks.jsonl", 200, 0, 0, 0},
};

class VidoraFixturesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    event_schema_ = JsonSchema::from_file("schemas/vidora-event.schema.json").release();
    request_schema_ = JsonSchema::from_file("schemas/vidora-request.schema.json").release();
  }
  static void TearDownTestSuite() {
    delete event_schema_;
    delete request_schema_;
  }
  static JsonSchema* event_schema_;
  static JsonSchema* request_schema_;
};
JsonSchema* VidoraFixturesTest::event_schema_ = nullptr;
JsonSchema* VidoraFixturesTest::request_schema_ = nullptr;

TEST_F(VidoraFixturesTest, SchemasRejectWhatTheyShould) {
  // Guards against a schema that silently accepts everything (e.g. an
  // unresolved $ref).
  EXPECT_FALSE(event_schema_->valid(json::parse(R"({"user_id":"u","type":"t","timestamp":1,"event_id":"e","nested":{"a":1}})")));
  EXPECT_FALSE(event_schema_->valid(json::parse(R"({"user_id":"u","type":"t","timestamp":"2024-13-01T00:00:00Z","event_id":"e"})")));
  EXPECT_FALSE(event_schema_->valid(json::parse(R"({"user_id":"u","type":"t","timestamp":1,"event_id":"e","Upper":1})")));
  EXPECT_TRUE(event_schema_->valid(json::parse(R"({"user_id":"u","type":"t","timestamp":"2024-03-01T09:00:00.123Z","event_id":"e","k":"[1]"})")));
  // The request schema reaches the event schema through the relative $ref.
  EXPECT_FALSE(request_schema_->valid(json::parse(R"({"data":[{"user_id":"u"}]})")));
  EXPECT_FALSE(request_schema_->valid(json::parse(R"({"data":[]})")));
  EXPECT_TRUE(request_schema_->valid(json::parse(R"({"data":[{"user_id":"u","type":"t","timestamp":1,"event_id":"e"}]})")));
}

TEST_F(VidoraFixturesTest, EveryOutputValidatesInEveryTimestampFormat) {
  for (TimestampFormat format :
       {TimestampFormat::kUnixSeconds, TimestampFormat::kUnixMillis, TimestampFormat::kIso8601}) {
    for (bool filtering : {true, false}) {
      VidoraSettings settings;
      settings.timestamp_format = format;
      settings.personal_data_filtering = filtering;
      VidoraHarness harness(settings);
      for (const FixtureCounts& fixture : kFixtures) {
        SCOPED_TRACE(std::string(fixture.file) + " format=" + std::string(to_string(format)) +
                     " filtering=" + (filtering ? "on" : "off"));
        const auto lines = read_lines(fixture.file);
        ASSERT_FALSE(lines.empty());
        size_t events = 0, skipped = 0, filtered = 0, rejected = 0;
        std::vector<std::string> wire;
        for (size_t i = 0; i < lines.size(); ++i) {
          const auto run = harness.run(lines[i], decode::InputFormat::kAuto, static_cast<int64_t>(i));
          for (size_t e = 0; e < run.events.size(); ++e) {
            const std::string errors = event_schema_->errors(run.events[e]);
            EXPECT_TRUE(errors.empty()) << "line " << i + 1 << ": " << run.raw[e] << "\n" << errors;
            wire.push_back(run.raw[e]);
          }
          events += run.events.size();
          skipped += run.skipped;
          filtered += run.filtered;
          rejected += run.rejections.size();
        }
        EXPECT_EQ(events, fixture.events);
        EXPECT_EQ(skipped, fixture.skipped);
        EXPECT_EQ(filtered, fixture.filtered);
        EXPECT_EQ(rejected, fixture.rejected);

        // Request bodies of at most 500 events, as the batcher builds them.
        for (size_t start = 0; start < wire.size(); start += 500) {
          std::vector<std::string_view> batch;
          for (size_t i = start; i < wire.size() && i < start + 500; ++i) batch.push_back(wire[i]);
          std::string body;
          VidoraEncoder::append_request_body(body, batch);
          const json parsed = json::parse(body, nullptr, false);
          ASSERT_FALSE(parsed.is_discarded()) << body;
          EXPECT_EQ(parsed["data"].size(), batch.size());
          const std::string errors = request_schema_->errors(parsed);
          EXPECT_TRUE(errors.empty()) << errors;
        }
      }
    }
  }
}

TEST_F(VidoraFixturesTest, RequestBodyOverTheEventLimitFailsTheSchema) {
  // The check above can fail: 501 valid events break maxItems.
  const std::string event = R"({"user_id":"u","type":"t","timestamp":1,"event_id":"e"})";
  std::vector<std::string_view> events(501, event);
  std::string body;
  VidoraEncoder::append_request_body(body, events);
  EXPECT_FALSE(request_schema_->valid(json::parse(body)));
}

// ---------------------------------------------------------- Segment schemas

TEST(SegmentFixtureSchemaTest, MessagesAndBatchesValidate) {
  const auto message_schema = JsonSchema::from_file("schemas/segment-message.schema.json");
  const auto batch_schema = JsonSchema::from_file("schemas/segment-batch.schema.json");
  const auto messages = read_lines("tests/fixtures/segment/messages.jsonl");
  ASSERT_EQ(messages.size(), 20u);
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string errors = message_schema->errors(json::parse(messages[i]));
    EXPECT_TRUE(errors.empty()) << "messages.jsonl:" << i + 1 << "\n" << errors;
  }
  const auto batches = read_lines("tests/fixtures/segment/batches.jsonl");
  ASSERT_EQ(batches.size(), 4u);
  for (size_t i = 0; i < batches.size(); ++i) {
    const std::string errors = batch_schema->errors(json::parse(batches[i]));
    EXPECT_TRUE(errors.empty()) << "batches.jsonl:" << i + 1 << "\n" << errors;
  }
  // Negative controls: the batch schema reaches the message schema.
  EXPECT_FALSE(batch_schema->valid(json::parse(R"({"batch":[{"type":"track","userId":"u","timestamp":"2024-03-01T09:00:00Z"}]})")));
  EXPECT_FALSE(message_schema->valid(json::parse(R"({"type":"track","event":"E","timestamp":"2024-03-01T09:00:00Z"})")));
}

// -------------------------------------------------------- mParticle schema
//
// What is validated against mParticle's Events API schema, and why:
//
// The schema describes the INBOUND Events API batch. Both fixture files differ
// from it at batch level in ways that are real, not fixture mistakes:
//  - outbound_batches.jsonl (mParticle's Kafka output): `user_identities` is an
//    array of {identity_type, identity, ...} (the schema wants an object map),
//    and `consent_state` has gdpr purposes keyed by name plus `ccpa` (the
//    schema's ConsentState allows only a single `gdpr` state). Lines 1-3 fail
//    at batch level for those reasons; line 4 has neither and passes.
//  - sdk_batches.jsonl (what the mparticle Node SDK POSTs): line 1 sends
//    `customerid` (schema: customer_id), `schema_version` (not in the schema)
//    and gdpr purposes + ccpa consent; line 2 sends `customerid` and
//    `mobile_number`, a `profile` event without `previous_mpid`/`current_mpid`
//    (required by ProfileEvent) and a `crash_report` whose breadcrumbs are
//    {session_number,label} objects (the schema's breadcrumb items forbid
//    those keys). Line 3 passes.
// So: (1) every EVENT of every batch is validated against the schema's own
// event definitions (the `events.items` oneOf, with the schema's
// `definitions`), except the two SDK events above, which are asserted to fail
// for exactly that reason; (2) whole batches are validated where they pass
// (sdk line 3, outbound line 4) and asserted to fail where documented above,
// so the documentation stays true.
//
// Format checking: valijson always checks date/time/date-time but not
// ipv4/ipv6; the batch's `ip` is a oneOf of the two, which would then match
// both branches and fail. substitute_ip_formats() replaces those formats by
// equivalent patterns (see support/json_schema.h).

class MparticleSchemaTest : public ::testing::Test {
 protected:
  static json load_reference() {
    json schema = json::parse(cdp_relay::testing::read_file(cdp_relay::testing::source_path(
        "tests/fixtures/mparticle/reference/mparticle-eventsapi.schema.json")));
    cdp_relay::testing::substitute_ip_formats(schema);
    return schema;
  }
  static JsonSchema batch_schema() {
    return JsonSchema(load_reference(), cdp_relay::testing::source_path("schemas"));
  }
  static JsonSchema event_schema() {
    const json reference = load_reference();
    json schema = reference["properties"]["events"]["items"];
    schema["definitions"] = reference["definitions"];
    return JsonSchema(schema, cdp_relay::testing::source_path("schemas"));
  }
};

TEST_F(MparticleSchemaTest, EveryFixtureEventValidatesAgainstTheEventDefinitions) {
  const JsonSchema schema = event_schema();
  struct KnownFailure {
    const char* file;
    size_t line;
    size_t event;
    const char* event_type;
  };
  const KnownFailure kSdkDeviations[] = {
      {"sdk_batches.jsonl", 2, 6, "profile"},       // no previous_mpid / current_mpid
      {"sdk_batches.jsonl", 2, 8, "crash_report"},  // breadcrumbs as {session_number,label}
  };
  size_t validated = 0;
  for (const char* file : {"sdk_batches.jsonl", "outbound_batches.jsonl"}) {
    const auto lines = read_lines(std::string("tests/fixtures/mparticle/") + file);
    ASSERT_FALSE(lines.empty());
    for (size_t l = 0; l < lines.size(); ++l) {
      const json batch = json::parse(lines[l]);
      ASSERT_TRUE(batch["events"].is_array());
      for (size_t e = 0; e < batch["events"].size(); ++e) {
        const json& event = batch["events"][e];
        bool known = false;
        for (const auto& k : kSdkDeviations) {
          known |= std::string(k.file) == file && k.line == l + 1 && k.event == e;
        }
        const std::string errors = schema.errors(event);
        SCOPED_TRACE(std::string(file) + ":" + std::to_string(l + 1) + " event " +
                     std::to_string(e) + " " + event["event_type"].get<std::string>());
        if (known) {
          EXPECT_FALSE(errors.empty()) << "a documented SDK deviation now validates";
        } else {
          EXPECT_TRUE(errors.empty()) << event.dump() << "\n" << errors;
          ++validated;
        }
      }
    }
  }
  EXPECT_EQ(validated, 22u - 2u + 32u);
  // Negative control: an unknown event_type matches no definition.
  EXPECT_FALSE(schema.valid(json::parse(R"({"event_type":"not_a_type","data":{}})")));
  EXPECT_FALSE(schema.valid(json::parse(R"({"event_type":"custom_event","data":{"event_name":"x","custom_event_type":"bogus"}})")));
}

TEST_F(MparticleSchemaTest, BatchesValidateWhereTheInboundShapeHolds) {
  const JsonSchema schema = batch_schema();
  struct BatchCase {
    const char* file;
    size_t line;
    bool valid;
  };
  for (const BatchCase& c : {BatchCase{"sdk_batches.jsonl", 1, false},
                             BatchCase{"sdk_batches.jsonl", 2, false},
                             BatchCase{"sdk_batches.jsonl", 3, true},
                             BatchCase{"outbound_batches.jsonl", 1, false},
                             BatchCase{"outbound_batches.jsonl", 2, false},
                             BatchCase{"outbound_batches.jsonl", 3, false},
                             BatchCase{"outbound_batches.jsonl", 4, true}}) {
    SCOPED_TRACE(std::string(c.file) + ":" + std::to_string(c.line));
    const auto lines = read_lines(std::string("tests/fixtures/mparticle/") + c.file);
    ASSERT_GE(lines.size(), c.line);
    const std::string errors = schema.errors(json::parse(lines[c.line - 1]));
    EXPECT_EQ(errors.empty(), c.valid) << errors;
  }
}

TEST_F(MparticleSchemaTest, OutboundBatchesPassOnceTheDocumentedDifferencesAreRemoved) {
  // Proves the batch-level failures of outbound lines 1-3 are exactly the
  // documented outbound differences (array identities, gdpr purposes + ccpa),
  // and that the ip oneOf works for both IPv4 and IPv6 addresses.
  const JsonSchema schema = batch_schema();
  const auto lines = read_lines("tests/fixtures/mparticle/outbound_batches.jsonl");
  for (size_t l = 0; l < 3; ++l) {
    SCOPED_TRACE("outbound_batches.jsonl:" + std::to_string(l + 1));
    json batch = json::parse(lines[l]);
    EXPECT_FALSE(schema.valid(batch));
    batch.erase("user_identities");
    batch.erase("consent_state");
    const std::string errors = schema.errors(batch);
    EXPECT_TRUE(errors.empty()) << errors;
  }
  json batch = json::parse(lines[3]);
  for (const char* ip : {"198.51.100.7", "2001:db8:85a3::8a2e:370:7334"}) {
    batch["ip"] = ip;
    EXPECT_TRUE(schema.valid(batch)) << ip;
  }
  batch["ip"] = "not an address";
  EXPECT_FALSE(schema.valid(batch));
}

}  // namespace
}  // namespace cdp_relay::destinations::vidora
