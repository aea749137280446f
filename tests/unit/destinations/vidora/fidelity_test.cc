// What the native integrations forward must reach Vidora too, and nothing may
// vanish on the way: numbers as written, repeated member names as JavaScript
// reads them, colliding keys renamed rather than dropped, Segment's context,
// the personal-data rules of mParticle's type-specific fields, and the
// accepted time range.
#include <gtest/gtest.h>

#include <string>

#include "support/vidora_helpers.h"

namespace cdp_relay::destinations::vidora {
namespace {

using cdp_relay::testing::VidoraHarness;
using cdp_relay::testing::VidoraRun;
using nlohmann::json;

const std::string kTs = R"("timestamp":"2024-03-01T09:00:00.000Z")";

std::string track(const std::string& properties) {
  return R"({"type":"track","event":"E","userId":"u1","messageId":"m1",)" + kTs +
         R"(,"properties":)" + properties + "}";
}

// The encoded event's exact text (numbers are compared as written).
std::string one_raw(VidoraHarness& harness, const std::string& input) {
  VidoraRun run = harness.run(input);
  EXPECT_EQ(run.raw.size(), 1u) << input;
  return run.raw.empty() ? std::string() : run.raw.front();
}

// ------------------------------------------------------------------ numbers

TEST(NumberFidelityTest, IntegersBeyond64BitsPassThroughAsWritten) {
  VidoraHarness harness;
  const std::string raw = one_raw(
      harness, track(R"({"big":36893488147419103000,"neg":-98765432109876543210,)"
                     R"("list":[18446744073709551616,1],"nested":{"id":123456789012345678901234567890}})"));
  EXPECT_NE(raw.find(R"("big":36893488147419103000)"), std::string::npos) << raw;
  EXPECT_NE(raw.find(R"("neg":-98765432109876543210)"), std::string::npos) << raw;
  EXPECT_NE(raw.find(R"("list":"[18446744073709551616,1]")"), std::string::npos) << raw;
  EXPECT_NE(raw.find(R"("nested_id":123456789012345678901234567890)"), std::string::npos) << raw;
}

TEST(NumberFidelityTest, FloatsGoOutWithTheirOwnText) {
  VidoraHarness harness;
  const std::string raw = one_raw(
      harness, track(R"({"price":2.50,"whole":1.0,"exp":1e5,"upper":1E-7,"plain":0.1,)"
                     R"("tiny":1e-400,"again":2.50,"int":7})"));
  for (const char* member : {R"("price":2.50)", R"("whole":1.0)", R"("exp":1e5)",
                             R"("upper":1E-7)", R"("plain":0.1)", R"("tiny":1e-400)",
                             R"("again":2.50)", R"("int":7)"}) {
    EXPECT_NE(raw.find(member), std::string::npos) << member << " in " << raw;
  }
}

TEST(NumberFidelityTest, AnMparticleBatchWithABigNumberIsDeliveredWhole) {
  VidoraHarness harness;
  const VidoraRun run = harness.run(
      R"({"mpid":42,"events":[)"
      R"({"event_type":"custom_event","data":{"event_name":"A","timestamp_unixtime_ms":1709283600000,)"
      R"("custom_attributes":{"order_total":98765432109876543210.5,"n":12345678901234567890123}}},)"
      R"({"event_type":"custom_event","data":{"event_name":"B","timestamp_unixtime_ms":1709283600000}}]})");
  EXPECT_TRUE(run.rejections.empty());
  ASSERT_EQ(run.raw.size(), 2u);
  EXPECT_NE(run.raw[0].find(R"("order_total":98765432109876543210.5)"), std::string::npos)
      << run.raw[0];
  EXPECT_NE(run.raw[0].find(R"("n":12345678901234567890123)"), std::string::npos) << run.raw[0];
}

TEST(NumberFidelityTest, ATimestampOrIdBeyond64BitsIsStillRejectedAsSuch) {
  VidoraHarness harness;
  VidoraRun run = harness.run(
      R"({"mpid":42,"events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":99999999999999999999999}}]})");
  ASSERT_EQ(run.rejections.size(), 1u);
  EXPECT_EQ(run.rejections[0].error.reason, Reason::kBadTimestamp);
  // The dead letter carries the number as written.
  EXPECT_NE(run.rejections[0].value.find("99999999999999999999999"), std::string::npos)
      << run.rejections[0].value;
  run = harness.run(R"({"mpid":123456789012345678901234,"events":[]})");
  ASSERT_EQ(run.rejections.size(), 1u);
  EXPECT_EQ(run.rejections[0].error.reason, Reason::kMissingIdentity);
}

// -------------------------------------------------------------------- keys

TEST(KeyFidelityTest, RepeatedMemberNamesKeepTheLastAndNothingIsDropped) {
  VidoraHarness harness;
  const VidoraRun run = harness.run(track(R"({"a":1,"a":2,"A":3})"));
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0]["a"], 2);
  EXPECT_EQ(run.events[0]["prop_a"], 3);
  EXPECT_EQ(run.events[0].size(), 7u) << run.raw[0];  // 5 reserved + a + prop_a
  EXPECT_EQ(run.dropped_values, 0u);
}

TEST(KeyFidelityTest, RepeatedNamesInNestedObjectsAndTopLevelFieldsKeepTheLast) {
  VidoraHarness harness;
  const VidoraRun run = harness.run(
      R"({"type":"track","event":"First","event":"Second","userId":"u1","userId":"u2",)" + kTs +
      R"(,"properties":{"player":{"name":"x","name":"y"}}})");
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0]["type"], "Second");
  EXPECT_EQ(run.events[0]["user_id"], "u2");
  EXPECT_EQ(run.events[0]["player_name"], "y");
  EXPECT_FALSE(run.events[0].contains("prop_player_name")) << run.raw[0];
}

TEST(KeyFidelityTest, ReservedNamesAndTheirRenamesTakeNumberedSuffixes) {
  VidoraHarness harness;
  const VidoraRun run = harness.run(track(R"({"user_id":"x","prop_user_id":"y","userId":"z"})"));
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0]["user_id"], "u1");
  EXPECT_EQ(run.events[0]["prop_user_id"], "x");
  EXPECT_EQ(run.events[0]["prop_prop_user_id"], "y");
  EXPECT_EQ(run.events[0]["prop_user_id_2"], "z");
  EXPECT_EQ(run.dropped_values, 0u);
}

TEST(KeyFidelityTest, DroppedValuesAreCounted) {
  VidoraHarness harness;
  std::string properties = "{";
  const int names = FlatObjectWriter::kMaxCollisionSuffix + 3;  // two more than fit
  for (int i = 0; i < names; ++i) {
    properties += (i ? "," : "") + std::string("\"k") + std::string(i, '-') + "\":" +
                  std::to_string(i);
  }
  properties += "}";
  const VidoraRun run = harness.run(track(properties));
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.dropped_values, 2u);
  EXPECT_EQ(run.events[0]["prop_k_100"], 100);  // k, prop_k, prop_k_2 ... prop_k_100
}

TEST(KeyFidelityTest, APagesOwnNameAndCategoryInItsPropertiesAreOneColumn) {
  VidoraHarness harness;
  json event = harness.one(
      R"({"type":"page","name":"Pricing","category":"Docs","userId":"u1",)" + kTs +
      R"(,"properties":{"name":"Pricing","category":"Docs","path":"/pricing"}})");
  EXPECT_EQ(event["name"], "Pricing");
  EXPECT_EQ(event["category"], "Docs");
  EXPECT_EQ(event["path"], "/pricing");
  EXPECT_FALSE(event.contains("prop_name")) << event.dump();
  EXPECT_FALSE(event.contains("prop_category")) << event.dump();
  // A different value is a different fact, and keeps its column.
  event = harness.one(R"({"type":"page","name":"Pricing","userId":"u1",)" + kTs +
                      R"(,"properties":{"name":"Pricing v2"}})");
  EXPECT_EQ(event["prop_name"], "Pricing v2");
}

// ---------------------------------------------------------- Segment context

const std::string kContextTrack =
    R"({"type":"track","event":"Article Read","userId":"u1",)" + kTs + R"(,)"
    R"j("context":{"userAgent":"Mozilla/5.0 (Macintosh)","ip":"203.0.113.9","locale":"en-US",)j"
    R"("timezone":"Europe/Paris","page":{"url":"https://example.com/a?b=1","referrer":"https://t.co/"},)"
    R"("campaign":{"name":"spring","source":"newsletter"},"library":{"name":"analytics.js","version":"next-1.62.0"},)"
    R"("device":{"id":"dev-1","advertisingId":"ad-1","adTrackingEnabled":true,"type":"ios","model":"iPhone15,2"},)"
    R"("os":{"name":"iOS","version":"17.2"},"app":{"name":"Reader","build":"420"},)"
    R"("screen":{"width":390,"height":844},"traits":{"plan":"pro"},"network":{"wifi":true}}})";

TEST(SegmentContextTest, DefaultSetWithPersonalDataFiltering) {
  VidoraHarness harness;
  const json event = harness.one(kContextTrack);
  EXPECT_EQ(event["user_agent"], "Mozilla/5.0 (Macintosh)");
  EXPECT_EQ(event["context_locale"], "en-US");
  EXPECT_EQ(event["context_timezone"], "Europe/Paris");
  EXPECT_EQ(event["context_page_url"], "https://example.com/a?b=1");
  EXPECT_EQ(event["context_page_referrer"], "https://t.co/");
  EXPECT_EQ(event["context_campaign_name"], "spring");
  EXPECT_EQ(event["context_campaign_source"], "newsletter");
  EXPECT_EQ(event["context_library_name"], "analytics.js");
  EXPECT_EQ(event["context_device_type"], "ios");
  EXPECT_EQ(event["context_device_model"], "iPhone15,2");
  EXPECT_EQ(event["context_device_ad_tracking_enabled"], true);
  EXPECT_EQ(event["context_os_version"], "17.2");
  EXPECT_EQ(event["context_app_build"], "420");
  EXPECT_EQ(event["context_screen_width"], 390);
  EXPECT_EQ(event["context_traits_plan"], "pro");
  for (const char* personal : {"ip", "context_ip", "context_device_id",
                               "context_device_advertising_id"}) {
    EXPECT_FALSE(event.contains(personal)) << personal;
  }
  EXPECT_FALSE(event.contains("context_network_wifi")) << "not in the default set";
}

TEST(SegmentContextTest, WithoutFilteringTheIpAndDeviceIdsGoToo) {
  VidoraSettings settings;
  settings.personal_data_filtering = false;
  VidoraHarness harness(settings);
  const json event = harness.one(kContextTrack);
  EXPECT_EQ(event["ip"], "203.0.113.9");
  EXPECT_EQ(event["context_device_id"], "dev-1");
  EXPECT_EQ(event["context_device_advertising_id"], "ad-1");
}

TEST(SegmentContextTest, TheSetIsConfigurable) {
  VidoraSettings settings;
  settings.segment_context = {"page", "network"};
  VidoraHarness harness(settings);
  const json event = harness.one(kContextTrack);
  EXPECT_EQ(event["context_page_url"], "https://example.com/a?b=1");
  EXPECT_EQ(event["context_network_wifi"], true);
  EXPECT_FALSE(event.contains("user_agent"));
  EXPECT_FALSE(event.contains("context_locale"));
  EXPECT_FALSE(event.contains("context_library_name"));
}

TEST(SegmentContextTest, ARepeatedContextMemberCountsOnceByItsLastValue) {
  VidoraHarness harness;
  const VidoraRun run = harness.run(
      R"({"type":"track","event":"E","userId":"u1",)" + kTs +
      R"(,"context":{"locale":"en-US","userAgent":"A","locale":"fr-FR","userAgent":"B"}})");
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0]["context_locale"], "fr-FR");
  EXPECT_EQ(run.events[0]["user_agent"], "B");
  EXPECT_FALSE(run.events[0].contains("prop_context_locale")) << run.raw[0];
  EXPECT_EQ(run.raw[0].find("\"user_agent\""), run.raw[0].rfind("\"user_agent\"")) << run.raw[0];
}

TEST(SegmentContextTest, ABatchItemsContextWinsOverTheEnvelopesPerKey) {
  VidoraHarness harness;
  const json event = harness.one(
      R"({"batch":[{"type":"track","event":"E","userId":"u1",)" + kTs +
      R"(,"context":{"page":{"url":"https://item"}}}],)"
      R"("context":{"page":{"url":"https://envelope","title":"T"},"locale":"fr-FR"}})");
  EXPECT_EQ(event["context_page_url"], "https://item");
  EXPECT_FALSE(event.contains("context_page_title")) << "the item's page replaces the envelope's";
  EXPECT_EQ(event["context_locale"], "fr-FR");
}

// -------------------------------------------- mParticle personal-data rules

std::string mparticle_event(const std::string& type, const std::string& data) {
  return R"({"mpid":42,"events":[{"event_type":")" + type +
         R"(","data":{"timestamp_unixtime_ms":1709283600000,)" + data + "}}]}";
}

TEST(MparticleFieldsTest, AReservedAttributesChangeIsSentWithoutItsValuesWhenFiltering) {
  const std::string input = mparticle_event(
      "user_attribute_change",
      R"("user_attribute_name":"$Mobile","new":"+1 555 0100","old":"+1 555 0199","deleted":false,"is_new_attribute":false)");
  VidoraHarness filtering;
  json event = filtering.one(input);
  EXPECT_EQ(event["user_attribute_name"], "$Mobile");
  EXPECT_EQ(event["deleted"], false);
  EXPECT_FALSE(event.contains("new")) << event.dump();
  EXPECT_FALSE(event.contains("old")) << event.dump();

  VidoraSettings settings;
  settings.personal_data_filtering = false;
  VidoraHarness unfiltered(settings);
  event = unfiltered.one(input);
  EXPECT_EQ(event["new"], "+1 555 0100");
  EXPECT_EQ(event["old"], "+1 555 0199");
}

TEST(MparticleFieldsTest, IdentityValuesOnlyWithoutFiltering) {
  const std::string input = mparticle_event(
      "user_identity_change",
      R"("new":{"identity_type":"email","identity":"ada@example.com"},"old":{"identity_type":"email","identity":"a@example.com"})");
  VidoraHarness filtering;
  json event = filtering.one(input);
  EXPECT_EQ(event["identity_type"], "email");
  EXPECT_EQ(event["identity_change"], "changed");
  EXPECT_FALSE(event.contains("new_identity"));
  EXPECT_FALSE(event.contains("old_identity"));

  VidoraSettings settings;
  settings.personal_data_filtering = false;
  VidoraHarness unfiltered(settings);
  event = unfiltered.one(input);
  EXPECT_EQ(event["new_identity"], "ada@example.com");
  EXPECT_EQ(event["old_identity"], "a@example.com");
  event = unfiltered.one(mparticle_event(
      "push_registration", R"("register":true,"registration_token":"tok-1")"));
  EXPECT_EQ(event["registration_token"], "tok-1");
}

TEST(MparticleFieldsTest, CustomAttributesNeverShadowTheTypesFields) {
  VidoraHarness harness;
  const json event = harness.one(mparticle_event(
      "session_end", R"("session_id":7,"session_duration_ms":1000,"custom_attributes":{"session_id":"mine"})"));
  EXPECT_EQ(event["session_id"], 7);
  EXPECT_EQ(event["prop_session_id"], "mine");
  EXPECT_EQ(event["session_duration_ms"], 1000);
}

// A type's field repeated in the event's data counts by its last value, and a
// last value of null leaves the field out, as for every other member; fields
// go out in the type's order, then the common ones, whatever the data's order.
TEST(MparticleFieldsTest, ARepeatedDataFieldCountsByItsLastValue) {
  VidoraHarness harness;
  const std::string raw = one_raw(
      harness, mparticle_event("session_end", R"("session_duration_ms":1,"session_id":7,)"
                                              R"("session_duration_ms":2,)"
                                              R"("session_start_unixtime_ms":5,)"
                                              R"("session_start_unixtime_ms":null)"));
  EXPECT_NE(raw.find(R"("session_duration_ms":2,"session_id":7)"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("session_start_unixtime_ms"), std::string::npos) << raw;
}

// -------------------------------------------------------------- timestamps

TEST(TimestampRangeTest, TimesBeforeTheEpochAreBadTimestampsInBothFormats) {
  VidoraHarness harness;
  for (const char* timestamp : {"1969-12-31T23:59:59.500Z", "0024-03-01T09:00:00.000Z"}) {
    const VidoraRun run = harness.run(
        std::string(R"({"type":"track","event":"E","userId":"u1","timestamp":")") + timestamp + "\"}");
    ASSERT_EQ(run.rejections.size(), 1u) << timestamp;
    EXPECT_EQ(run.rejections[0].error.reason, Reason::kBadTimestamp);
    EXPECT_NE(run.rejections[0].error.message.find("1970-01-01"), std::string::npos);
  }
  const VidoraRun run = harness.run(
      R"({"mpid":42,"events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":-1}}]})");
  ASSERT_EQ(run.rejections.size(), 1u);
  EXPECT_EQ(run.rejections[0].error.reason, Reason::kBadTimestamp);
  EXPECT_EQ(harness.run(R"({"type":"track","event":"E","userId":"u1","timestamp":"1970-01-01T00:00:00Z"})")
                .events.size(),
            1u);
  EXPECT_EQ(harness.run(R"({"mpid":42,"events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":253402300800000}}]})")
                .rejections.size(),
            1u);
}

}  // namespace
}  // namespace cdp_relay::destinations::vidora
