// The decode stage (README "Inputs"): format detection, every Segment
// call, batch envelopes, every mParticle event type, identities, consent,
// commerce naming, MPIDs, per-item rejection and DLQ values, message ids.
#include "decode/decoder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "model/message_id.h"
#include "support/decode_helpers.h"

namespace cdp_relay::decode {
namespace {

using cdp_relay::testing::reasons_of;
using cdp_relay::testing::string_at;
using cdp_relay::testing::test_origin;
using nlohmann::json;

class DecoderTest : public ::testing::Test {
 protected:
  DecodedMessage& decode(std::string_view bytes, InputFormat format = InputFormat::kAuto,
                         int64_t offset = 42) {
    origin_ = test_origin(offset);
    decoder_.decode(bytes, format, origin_, out_);
    return out_;
  }
  const CanonicalEvent& only_event(std::string_view bytes,
                                   InputFormat format = InputFormat::kAuto) {
    decode(bytes, format);
    EXPECT_EQ(out_.events.size(), 1u) << reasons_of(out_);
    EXPECT_TRUE(out_.rejections.empty()) << reasons_of(out_);
    static CanonicalEvent empty;
    return out_.events.empty() ? empty : out_.events.front();
  }
  Reason only_rejection(std::string_view bytes, InputFormat format = InputFormat::kAuto) {
    decode(bytes, format);
    EXPECT_TRUE(out_.events.empty());
    EXPECT_EQ(out_.rejections.size(), 1u) << reasons_of(out_);
    return out_.rejections.empty() ? Reason::kInvalidJson : out_.rejections.front().error.reason;
  }

  Decoder decoder_;
  DecodedMessage out_;
  Origin origin_;
};

constexpr std::string_view kTrack =
    R"({"type":"track","event":"Played","userId":"u1","timestamp":"2024-03-01T09:00:00Z","messageId":"m1"})";
constexpr std::string_view kMparticle =
    R"({"events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":1709283600000}}],"mpid":77})";

// ---------------------------------------------------------------- detection

TEST_F(DecoderTest, AutoDetectsSegmentMessage) {
  const auto& event = only_event(kTrack);
  EXPECT_EQ(event.source_format, SourceFormat::kSegment);
  EXPECT_EQ(event.kind, EventKind::kTrack);
}

// A repeated `events` / `batch` name: the shape is read from the last one,
// and so are the items (found by the decode fuzzer: the first, a string, was
// read as the array the detector had seen in the last).
TEST_F(DecoderTest, RepeatedBatchMembersAreReadFromTheLastOne) {
  decode(R"({"events":"not a list","mpid":77,"events":[{"event_type":"session_start",)"
         R"("data":{"timestamp_unixtime_ms":1709283600000}},{"event_type":"session_end",)"
         R"("data":{"timestamp_unixtime_ms":1709283600000}}]})");
  ASSERT_EQ(out_.events.size(), 2u) << reasons_of(out_);
  EXPECT_EQ(out_.events[1].kind, EventKind::kSessionEnd);
  ASSERT_EQ(decoder_.item_value(R"({"mpid":77,"events":"x","events":[{"a":1},{"b":2}]})",
                                InputFormat::kAuto, 1)
                .value_or(""),
            R"({"mpid":77,"events":[{"b":2}]})");

  decode(R"({"batch":7,"batch":[)" + std::string(kTrack) + "]}");
  ASSERT_EQ(out_.events.size(), 1u) << reasons_of(out_);

  // The last is not a list: not a batch, whatever the first was.
  EXPECT_EQ(only_rejection(R"({"batch":[)" + std::string(kTrack) + R"(],"batch":"x"})"),
            Reason::kUnknownFormat);
}

TEST_F(DecoderTest, AutoDetectsSegmentBatch) {
  decode(R"({"batch":[)" + std::string(kTrack) + "," + std::string(kTrack) + "]}");
  ASSERT_EQ(out_.events.size(), 2u) << reasons_of(out_);
  EXPECT_EQ(out_.events[0].source_format, SourceFormat::kSegment);
  EXPECT_EQ(out_.events[1].origin.index, 1u);
}

TEST_F(DecoderTest, AutoDetectsMparticleByMpidUserIdentitiesOrEnvironment) {
  EXPECT_EQ(only_event(kMparticle).source_format, SourceFormat::kMparticle);
  // Without an mpid these are still recognised as mParticle: the reason is
  // missing_identity, not unknown_format.
  EXPECT_EQ(only_rejection(R"({"events":[],"user_identities":{"email":"a@b.c"}})"),
            Reason::kMissingIdentity);
  EXPECT_EQ(only_rejection(R"({"events":[],"environment":"production"})"),
            Reason::kMissingIdentity);
}

TEST_F(DecoderTest, AutoRejectsEventsWithoutMparticleMarkers) {
  EXPECT_EQ(only_rejection(R"({"events":[{"event_type":"session_start"}]})"),
            Reason::kUnknownFormat);
}

TEST_F(DecoderTest, AutoRejectsUnknownSegmentType) {
  EXPECT_EQ(only_rejection(R"({"type":"purchase","userId":"u","timestamp":"2024-03-01"})"),
            Reason::kUnknownFormat);
}

TEST_F(DecoderTest, ForcedSegmentTreatsEveryObjectAsAMessage) {
  EXPECT_EQ(only_rejection(R"({"type":"purchase","userId":"u","timestamp":"2024-03-01"})",
                           InputFormat::kSegment),
            Reason::kUnsupportedType);
  // An mParticle batch on a segment topic has no Segment type.
  EXPECT_EQ(only_rejection(kMparticle, InputFormat::kSegment), Reason::kUnsupportedType);
  EXPECT_EQ(only_event(kTrack, InputFormat::kSegment).kind, EventKind::kTrack);
}

TEST_F(DecoderTest, ForcedMparticleNeedsEventsArray) {
  EXPECT_EQ(only_rejection(kTrack, InputFormat::kMparticle), Reason::kUnknownFormat);
  // With `mparticle` forced, an events array alone is enough to be a batch.
  EXPECT_EQ(only_rejection(R"({"events":[]})", InputFormat::kMparticle),
            Reason::kMissingIdentity);
  EXPECT_EQ(only_event(kMparticle, InputFormat::kMparticle).source_format,
            SourceFormat::kMparticle);
}

TEST_F(DecoderTest, MparticleWinsOverBatchWhenBothPresent) {
  decode(R"({"events":[],"mpid":5,"batch":[1]})");
  EXPECT_TRUE(out_.events.empty());
  EXPECT_TRUE(out_.rejections.empty()) << reasons_of(out_);  // a valid empty mParticle batch
}

// ------------------------------------------------------------ Segment calls

TEST_F(DecoderTest, SegmentTrack) {
  const auto& e = only_event(
      R"({"type":"track","event":"Order Completed","userId":"u1","anonymousId":"a1","timestamp":"2024-03-01T10:00:00+01:00","messageId":"m-1","properties":{"total":25}})");
  EXPECT_EQ(e.kind, EventKind::kTrack);
  EXPECT_EQ(e.name, "Order Completed");
  EXPECT_EQ(e.user_id, "u1");
  EXPECT_EQ(e.anonymous_id, "a1");
  EXPECT_EQ(e.message_id, "m-1");
  EXPECT_EQ(e.timestamp_ms, 1709283600000);
  ASSERT_TRUE(e.properties.has_value());
  EXPECT_EQ(int64_t((*e.properties)["total"]), 25);
  EXPECT_EQ(e.origin.topic, "raw-events");
  EXPECT_EQ(e.origin.partition, 3);
  EXPECT_EQ(e.origin.offset, 42);
  EXPECT_EQ(e.origin.index, 0u);
}

TEST_F(DecoderTest, SegmentPage) {
  const auto& e = only_event(
      R"({"type":"page","name":"Pricing","category":"Docs","anonymousId":"a1","timestamp":"2024-03-01T09:00:00Z","properties":{"path":"/pricing"}})");
  EXPECT_EQ(e.kind, EventKind::kPage);
  EXPECT_EQ(e.name, "Pricing");
  EXPECT_EQ(e.category, "Docs");
  EXPECT_EQ(e.user_id, "");
  EXPECT_EQ(e.user_key(), "a1");
  EXPECT_EQ(string_at(e.properties, "path"), "/pricing");
}

TEST_F(DecoderTest, SegmentScreen) {
  const auto& e = only_event(
      R"({"type":"screen","name":"Home Feed","userId":"u1","timestamp":"2024-03-01T09:00:00Z","properties":{"rows":3}})");
  EXPECT_EQ(e.kind, EventKind::kScreen);
  EXPECT_EQ(e.name, "Home Feed");
  EXPECT_TRUE(e.properties.has_value());
}

TEST_F(DecoderTest, SegmentIdentify) {
  const auto& e = only_event(
      R"({"type":"identify","userId":"u1","timestamp":"2024-03-01T09:00:00Z","traits":{"email":"a@b.c","plan":"pro"}})");
  EXPECT_EQ(e.kind, EventKind::kIdentify);
  EXPECT_EQ(string_at(e.traits, "plan"), "pro");
  EXPECT_FALSE(e.properties.has_value());
}

TEST_F(DecoderTest, SegmentGroupWithNumericGroupId) {
  const auto& e = only_event(
      R"({"type":"group","groupId":12345,"userId":"u1","timestamp":"2024-03-01T09:00:00Z","traits":{"name":"Initech"}})");
  EXPECT_EQ(e.kind, EventKind::kGroup);
  EXPECT_EQ(e.group_id, "12345");
  EXPECT_EQ(string_at(e.traits, "name"), "Initech");
}

TEST_F(DecoderTest, SegmentAlias) {
  const auto& e = only_event(
      R"({"type":"alias","previousId":"anon-9","userId":"u1","timestamp":"2024-03-01T09:00:00Z"})");
  EXPECT_EQ(e.kind, EventKind::kAlias);
  EXPECT_EQ(e.previous_id, "anon-9");
}

TEST_F(DecoderTest, SegmentNumericUserIdBecomesDecimal) {
  const auto& e = only_event(
      R"({"type":"track","event":"x","userId":9007199254740993,"timestamp":"2024-03-01T09:00:00Z"})");
  EXPECT_EQ(e.user_id, "9007199254740993");
}

TEST_F(DecoderTest, SegmentTimestampFallbacks) {
  EXPECT_EQ(only_event(R"({"type":"track","event":"x","userId":"u","originalTimestamp":"2024-03-01T09:00:00Z","receivedAt":"2030-01-01T00:00:00Z"})")
                .timestamp_ms,
            1709283600000);
  EXPECT_EQ(only_event(R"({"type":"track","event":"x","userId":"u","receivedAt":"2024-03-01T09:00:00Z","sentAt":"2030-01-01T00:00:00Z"})")
                .timestamp_ms,
            1709283600000);
  EXPECT_EQ(only_event(R"({"type":"track","event":"x","userId":"u","sentAt":"2024-03-01T09:00:00Z"})")
                .timestamp_ms,
            1709283600000);
  // A null timestamp counts as absent.
  EXPECT_EQ(only_event(R"({"type":"track","event":"x","userId":"u","timestamp":null,"sentAt":"2024-03-01T09:00:00Z"})")
                .timestamp_ms,
            1709283600000);
}

// ----------------------------------------------------------- batch envelope

constexpr std::string_view kEnvelope = R"({
  "batch":[
    {"type":"track","event":"A","userId":"u1","timestamp":"2024-03-01T09:00:00Z","messageId":"i0",
     "context":{"ip":"198.51.100.1","page":{"path":"/item"}},"integrations":{"Vidora":true}},
    {"type":"track","event":"B","timestamp":"2024-03-01T09:00:00Z","messageId":"i1",
     "context":{"ip":"198.51.100.2"},"properties":{"k":1}},
    {"type":"page","name":"C","anonymousId":"a3","timestamp":"2024-03-01T09:00:00Z","messageId":"i2"}
  ],
  "context":{"ip":"203.0.113.9","library":{"name":"analytics-node"}},
  "integrations":{"Vidora":false,"Spideo":true},
  "sentAt":"2024-03-01T09:00:05Z"})";

TEST_F(DecoderTest, EnvelopeContextAndIntegrationsMergeWithItemKeysWinning) {
  decode(kEnvelope);
  ASSERT_EQ(out_.events.size(), 2u) << reasons_of(out_);
  const CanonicalEvent& first = out_.events[0];
  EXPECT_EQ(first.message_id, "i0");
  EXPECT_EQ(string_at(first.context, "ip"), "198.51.100.1");  // item wins
  EXPECT_TRUE(first.context.find("library").has_value());    // envelope fills in
  EXPECT_TRUE(first.context.find("page").has_value());
  bool vidora = false;
  ASSERT_TRUE(first.integrations.find("Vidora").has_value());
  ASSERT_EQ(first.integrations.find("Vidora")->get(vidora), simdjson::SUCCESS);
  EXPECT_TRUE(vidora);                                        // item wins
  EXPECT_TRUE(first.integrations.find("Spideo").has_value());

  const CanonicalEvent& third = out_.events[1];
  EXPECT_EQ(third.message_id, "i2");
  EXPECT_EQ(third.origin.index, 2u);
  EXPECT_EQ(string_at(third.context, "ip"), "203.0.113.9");  // only the envelope's
  ASSERT_EQ(third.integrations.find("Vidora")->get(vidora), simdjson::SUCCESS);
  EXPECT_FALSE(vidora);
}

TEST_F(DecoderTest, BadEnvelopeItemIsRejectedAloneWithMergedDlqValue) {
  decode(kEnvelope);
  ASSERT_EQ(out_.rejections.size(), 1u);
  const Rejection& rejection = out_.rejections[0];
  EXPECT_EQ(rejection.error.reason, Reason::kMissingIdentity);
  EXPECT_EQ(rejection.index, 1u);
  EXPECT_FALSE(rejection.whole_message);

  const json value = json::parse(rejection.value);
  EXPECT_EQ(value["messageId"], "i1");
  EXPECT_EQ(value["event"], "B");
  EXPECT_EQ(value["properties"], json({{"k", 1}}));
  EXPECT_FALSE(value.contains("batch"));
  EXPECT_FALSE(value.contains("sentAt"));
  // The item's context wins; the envelope's keys fill in.
  EXPECT_EQ(value["context"]["ip"], "198.51.100.2");
  EXPECT_EQ(value["context"]["library"]["name"], "analytics-node");
  // The item has no integrations: the envelope's are merged in.
  EXPECT_EQ(value["integrations"], json({{"Vidora", false}, {"Spideo", true}}));
}

TEST_F(DecoderTest, NonObjectBatchItemIsRejectedAlone) {
  decode(R"({"batch":[42,)" + std::string(kTrack) + "]}");
  ASSERT_EQ(out_.events.size(), 1u);
  ASSERT_EQ(out_.rejections.size(), 1u);
  EXPECT_EQ(out_.rejections[0].index, 0u);
  EXPECT_FALSE(out_.rejections[0].whole_message);
  EXPECT_EQ(out_.rejections[0].value, "42");
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kUnknownFormat);
}

TEST_F(DecoderTest, EmptyBatchYieldsNothing) {
  decode(R"({"batch":[]})");
  EXPECT_TRUE(out_.events.empty());
  EXPECT_TRUE(out_.rejections.empty());
}

// ---------------------------------------------------------------- mParticle

std::string mparticle_batch(const std::string& events, const std::string& extra = "") {
  return R"({"mpid":8016765241467138000,"environment":"production",)" + extra +
         R"("events":[)" + events + "]}";
}

std::string mp_event(const std::string& type, const std::string& data_fields = "") {
  return R"({"event_type":")" + type + R"(","data":{"timestamp_unixtime_ms":1709283600000)" +
         (data_fields.empty() ? "" : "," + data_fields) + "}}";
}

struct MparticleKindCase {
  const char* event_type;
  const char* data;
  EventKind kind;
  const char* name;
};

TEST_F(DecoderTest, EveryMparticleEventType) {
  const std::vector<MparticleKindCase> cases = {
      {"custom_event", R"("event_name":"Played","custom_event_type":"media")",
       EventKind::kCustomEvent, "Played"},
      {"screen_view", R"("screen_name":"Home")", EventKind::kScreenView, "Home"},
      {"commerce_event", R"("product_action":{"action":"add_to_cart"})",
       EventKind::kCommerceEvent, "add_to_cart"},
      {"session_start", "", EventKind::kSessionStart, "session_start"},
      {"session_end", "", EventKind::kSessionEnd, "session_end"},
      {"application_state_transition", R"("application_transition_type":"application_background")",
       EventKind::kApplicationStateTransition, "application_state_transition"},
      {"push_message", R"("push_message_token":"t")", EventKind::kPushMessage, "push_message"},
      {"push_registration", "", EventKind::kPushRegistration, "push_registration"},
      {"push_reaction", "", EventKind::kPushReaction, "push_reaction"},
      {"user_attribute_change", R"("user_attribute_name":"plan")",
       EventKind::kUserAttributeChange, "user_attribute_change"},
      {"user_identity_change", "", EventKind::kUserIdentityChange, "user_identity_change"},
      {"crash_report", R"("class_name":"E")", EventKind::kCrashReport, "crash_report"},
      {"opt_out", R"("is_opted_out":true)", EventKind::kOptOut, "opt_out"},
      {"uninstall", "", EventKind::kUninstall, "uninstall"},
      {"breadcrumb", R"("label":"x")", EventKind::kBreadcrumb, "breadcrumb"},
      {"profile", "", EventKind::kProfile, "profile"},
      {"first_run", "", EventKind::kFirstRun, "first_run"},
      {"pre_attribution", "", EventKind::kPreAttribution, "pre_attribution"},
      {"network_performance", "", EventKind::kNetworkPerformance, "network_performance"},
  };
  std::string events;
  for (const auto& c : cases) {
    if (!events.empty()) events += ",";
    events += mp_event(c.event_type, c.data);
  }
  decode(mparticle_batch(events));
  ASSERT_EQ(out_.events.size(), cases.size()) << reasons_of(out_);
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].event_type);
    const CanonicalEvent& e = out_.events[i];
    EXPECT_EQ(e.source_format, SourceFormat::kMparticle);
    EXPECT_EQ(e.kind, cases[i].kind);
    EXPECT_EQ(to_string(e.kind), cases[i].event_type);
    EXPECT_EQ(e.name, cases[i].name);
    EXPECT_EQ(e.user_id, "8016765241467138000");
    EXPECT_EQ(e.timestamp_ms, 1709283600000);
    EXPECT_EQ(e.origin.index, i);
    EXPECT_EQ(e.mparticle.environment, "production");
  }
  EXPECT_EQ(out_.events[0].mparticle.custom_event_type, "media");
  EXPECT_EQ(out_.events[5].mparticle.application_transition_type, "application_background");
}

TEST_F(DecoderTest, MparticleBatchFieldsReachEveryEvent) {
  const auto& e = only_event(mparticle_batch(
      mp_event("custom_event",
               R"("event_name":"E","source_message_id":"smid-1","custom_attributes":{"k":"v"})"),
      R"("ip":"198.51.100.7","user_attributes":{"plan":"pro"},"device_info":{"platform":"iOS","http_header_user_agent":"UA/1"},"application_info":{"application_name":"App"},)"));
  EXPECT_EQ(e.message_id, "smid-1");
  EXPECT_EQ(e.mparticle.ip, "198.51.100.7");
  EXPECT_EQ(e.mparticle.user_agent, "UA/1");
  EXPECT_EQ(string_at(e.traits, "plan"), "pro");
  EXPECT_EQ(string_at(e.properties, "k"), "v");
  EXPECT_EQ(string_at(e.mparticle.device_info, "platform"), "iOS");
  EXPECT_EQ(string_at(e.mparticle.application_info, "application_name"), "App");
  ASSERT_TRUE(e.mparticle.event_data.has_value());
}

TEST_F(DecoderTest, MparticleIdentitiesAsArrayOrMap) {
  const auto& as_array = only_event(mparticle_batch(
      mp_event("session_start"),
      R"("user_identities":[{"identity_type":"email","identity":"a@b.c"}],)"));
  ASSERT_TRUE(as_array.mparticle.user_identities.has_value());
  EXPECT_TRUE(as_array.mparticle.user_identities->is_array());

  const auto& as_map = only_event(
      mparticle_batch(mp_event("session_start"), R"("user_identities":{"email":"a@b.c"},)"));
  ASSERT_TRUE(as_map.mparticle.user_identities.has_value());
  EXPECT_TRUE(as_map.mparticle.user_identities->is_object());
}

TEST_F(DecoderTest, MparticleConsentIsReadLeniently) {
  const auto& e = only_event(mparticle_batch(
      mp_event("session_start"),
      R"("consent_state":{"gdpr":{"marketing":{"consented":"true"},"analytics":{"consented":false},"ads":{"consented":"FALSE"},"odd":{"consented":"maybe"},"none":{}},"ccpa":{"data_sale_opt_out":{"consented":"true"}}},)"));
  EXPECT_EQ(e.consent.gdpr_consented("marketing"), std::optional<bool>(true));
  EXPECT_EQ(e.consent.gdpr_consented("analytics"), std::optional<bool>(false));
  EXPECT_EQ(e.consent.gdpr_consented("ads"), std::optional<bool>(false));
  EXPECT_EQ(e.consent.gdpr_consented("odd"), std::nullopt);
  EXPECT_EQ(e.consent.gdpr_consented("none"), std::nullopt);
  EXPECT_EQ(e.consent.gdpr_consented("absent"), std::nullopt);
  EXPECT_EQ(e.consent.ccpa_data_sale_opt_out, std::optional<bool>(true));

  const auto& bools = only_event(mparticle_batch(
      mp_event("session_start"),
      R"("consent_state":{"ccpa":{"data_sale_opt_out":{"consented":false}}},)"));
  EXPECT_EQ(bools.consent.ccpa_data_sale_opt_out, std::optional<bool>(false));
  EXPECT_FALSE(bools.consent.gdpr.has_value());
}

TEST_F(DecoderTest, MparticleCommerceNaming) {
  decode(mparticle_batch(
      mp_event("commerce_event", R"("product_action":{"action":"purchase","products":[]})") + "," +
      mp_event("commerce_event", R"("promotion_action":{"action":"click","promotions":[]})") + "," +
      mp_event("commerce_event", R"("promotion_action":{"action":"view"})") + "," +
      mp_event("commerce_event", R"("product_impressions":[{"products":[]}])") + "," +
      mp_event("commerce_event", R"("currency_code":"USD")") + "," +
      mp_event("commerce_event", R"("product_action":{"products":[]})")));
  ASSERT_EQ(out_.events.size(), 4u) << reasons_of(out_);
  EXPECT_EQ(out_.events[0].name, "purchase");
  EXPECT_EQ(out_.events[1].name, "promotion_click");
  EXPECT_EQ(out_.events[2].name, "promotion_view");
  EXPECT_EQ(out_.events[3].name, "product_impression");
  ASSERT_EQ(out_.rejections.size(), 2u);
  EXPECT_EQ(out_.rejections[0].error.reason, Reason::kUnsupportedType);
  EXPECT_EQ(out_.rejections[0].index, 4u);
  EXPECT_EQ(out_.rejections[1].error.reason, Reason::kUnsupportedType);
  EXPECT_EQ(out_.rejections[1].index, 5u);
  // A commerce event without data at all is unsupported as well.
  EXPECT_EQ(only_rejection(
                R"({"mpid":1,"timestamp_unixtime_ms":1709283600000,"events":[{"event_type":"commerce_event"}]})"),
            Reason::kUnsupportedType);
}

TEST_F(DecoderTest, MpidIsExactInt64) {
  struct Case {
    const char* mpid;
    const char* expected;
  };
  for (const Case& c : {Case{"-8016765241467138000", "-8016765241467138000"},
                        Case{"-1", "-1"},
                        Case{"9007199254740993", "9007199254740993"},  // 2^53 + 1
                        Case{"9223372036854775807", "9223372036854775807"},
                        Case{"-9223372036854775808", "-9223372036854775808"},
                        Case{"\"123456789012345678\"", "123456789012345678"}}) {
    SCOPED_TRACE(c.mpid);
    const std::string batch = std::string(R"({"mpid":)") + c.mpid +
                              R"(,"events":[)" + mp_event("session_start") + "]}";
    EXPECT_EQ(only_event(batch).user_id, c.expected);
  }
}

TEST_F(DecoderTest, MissingMpidRejectsWholeMessage) {
  for (const char* batch :
       {R"({"environment":"production","events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":1}},{"event_type":"session_end","data":{"timestamp_unixtime_ms":2}}]})",
        R"({"mpid":null,"environment":"production","events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":1}}]})",
        R"({"mpid":"","environment":"production","events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":1}}]})",
        R"({"mpid":0,"environment":"production","events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":1}}]})",
        R"({"mpid":{"a":1},"environment":"production","events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":1}}]})"}) {
    SCOPED_TRACE(batch);
    decode(batch);
    EXPECT_TRUE(out_.events.empty());
    ASSERT_EQ(out_.rejections.size(), 1u) << reasons_of(out_);
    EXPECT_EQ(out_.rejections[0].error.reason, Reason::kMissingIdentity);
    EXPECT_TRUE(out_.rejections[0].whole_message);
  }
}

TEST_F(DecoderTest, OneBadMparticleEventRejectsOnlyItWithReducedBatchAsDlqValue) {
  const std::string batch = mparticle_batch(
      mp_event("session_start", R"("source_message_id":"ok-0")") + "," +
          R"({"event_type":"custom_event","data":{"timestamp_unixtime_ms":1709283600000,"source_message_id":"bad-1"}})" +
          "," + mp_event("session_end", R"("source_message_id":"ok-2")"),
      R"("user_attributes":{"plan":"pro"},"batch_id":-42,)");
  decode(batch);
  ASSERT_EQ(out_.events.size(), 2u) << reasons_of(out_);
  EXPECT_EQ(out_.events[0].message_id, "ok-0");
  EXPECT_EQ(out_.events[1].message_id, "ok-2");
  EXPECT_EQ(out_.events[1].origin.index, 2u);
  ASSERT_EQ(out_.rejections.size(), 1u);
  const Rejection& rejection = out_.rejections[0];
  EXPECT_EQ(rejection.error.reason, Reason::kMissingEventName);
  EXPECT_EQ(rejection.index, 1u);
  EXPECT_FALSE(rejection.whole_message);

  json expected = json::parse(batch);
  expected["events"] = json::array({expected["events"][1]});
  const json value = json::parse(rejection.value);
  EXPECT_EQ(value, expected);
  // int64 values survive the DLQ rendering exactly.
  EXPECT_NE(rejection.value.find("8016765241467138000"), std::string::npos);
}

TEST_F(DecoderTest, MparticleTimestampFallsBackToBatchAndAcceptsStrings) {
  decode(R"({"mpid":1,"timestamp_unixtime_ms":1709283600000,"events":[
      {"event_type":"session_start","data":{}},
      {"event_type":"session_end"},
      {"event_type":"session_end","data":{"timestamp_unixtime_ms":"1709283601000"}}]})");
  ASSERT_EQ(out_.events.size(), 3u) << reasons_of(out_);
  EXPECT_EQ(out_.events[0].timestamp_ms, 1709283600000);
  EXPECT_EQ(out_.events[1].timestamp_ms, 1709283600000);
  EXPECT_EQ(out_.events[2].timestamp_ms, 1709283601000);
}

// -------------------------------------------------------------- message ids

TEST_F(DecoderTest, MessageIdIsSynthesizedWhenAbsentAndStable) {
  const std::string segment =
      R"({"type":"track","event":"x","userId":"u","timestamp":"2024-03-01T09:00:00Z"})";
  const std::string first = std::string(only_event(segment).message_id);
  const std::string again = std::string(only_event(segment).message_id);
  EXPECT_EQ(first, again);
  EXPECT_EQ(first.size(), 20u);
  EXPECT_EQ(first.rfind("cdp-", 0), 0u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef", 4), std::string::npos);
  EXPECT_EQ(first, model::synthesize_message_id(test_origin(42)));

  // A different offset is a different message.
  decode(segment, InputFormat::kAuto, 43);
  ASSERT_EQ(out_.events.size(), 1u);
  EXPECT_NE(std::string(out_.events[0].message_id), first);

  // Items of a batch differ by index; re-decoding gives the same ids.
  const std::string batch = "{\"batch\":[" + segment + "," + segment + "]}";
  decode(batch);
  ASSERT_EQ(out_.events.size(), 2u);
  const std::string id0(out_.events[0].message_id), id1(out_.events[1].message_id);
  EXPECT_NE(id0, id1);
  Origin item1 = test_origin(42);
  item1.index = 1;
  EXPECT_EQ(id1, model::synthesize_message_id(item1));
  decode(batch);
  EXPECT_EQ(std::string(out_.events[0].message_id), id0);
  EXPECT_EQ(std::string(out_.events[1].message_id), id1);

  // mParticle events without source_message_id get the same treatment.
  const std::string mp = mparticle_batch(mp_event("session_start") + "," + mp_event("session_end"));
  decode(mp);
  ASSERT_EQ(out_.events.size(), 2u);
  const std::string mp1(out_.events[1].message_id);
  EXPECT_EQ(mp1, model::synthesize_message_id(item1));
  decode(mp);
  EXPECT_EQ(std::string(out_.events[1].message_id), mp1);
}

TEST(MessageIdTest, DependsOnEveryOriginField) {
  Origin base = test_origin(42);
  const std::string id = model::synthesize_message_id(base);
  Origin other = base;
  other.topic = "other";
  EXPECT_NE(model::synthesize_message_id(other), id);
  other = base;
  other.partition = 4;
  EXPECT_NE(model::synthesize_message_id(other), id);
  other = base;
  other.index = 1;
  EXPECT_NE(model::synthesize_message_id(other), id);
  // Kafka timestamps are not part of identity: a redelivery keeps its id.
  other = base;
  other.kafka_timestamp_ms = 1234;
  EXPECT_EQ(model::synthesize_message_id(other), id);
}

TEST_F(DecoderTest, DecoderIsReusableAcrossMessages) {
  for (int i = 0; i < 50; ++i) {
    decode(i % 2 == 0 ? std::string(kTrack) : std::string(kMparticle));
    ASSERT_EQ(out_.events.size(), 1u);
    ASSERT_TRUE(out_.rejections.empty());
  }
}

}  // namespace
}  // namespace cdp_relay::decode
