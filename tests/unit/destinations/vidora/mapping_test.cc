// The Vidora mapping tables (README "Vidora mapping"), row by row, and the
// encoder's wire rules: flattening, snake_case keys, arrays as JSON strings,
// reserved-key collisions, timestamp formats, personal-data filtering and the
// integrations filter. Everything runs through the real TransformStage.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "decode/decoder.h"
#include "destinations/vidora/vidora_encoder.h"
#include "destinations/vidora/vidora_mapping.h"
#include "support/test_paths.h"
#include "support/vidora_helpers.h"

namespace cdp_relay::destinations::vidora {
namespace {

using cdp_relay::testing::is_flat_object;
using cdp_relay::testing::VidoraHarness;
using nlohmann::json;

const std::string kTs = R"("timestamp":"2024-03-01T09:00:00.123Z")";

// ------------------------------------------------------ Segment mapping table

struct SegmentRow {
  const char* call;
  std::string input;
  const char* vidora_type;
  json expected_fields;  // subset of the output
};

std::vector<SegmentRow> segment_rows() {
  return {
      {"track",
       R"({"type":"track","event":"Video Content Playing","userId":"u1","messageId":"m1",)" + kTs +
           R"(,"properties":{"asset_id":"ep-1","position":312}})",
       "Video Content Playing", json{{"asset_id", "ep-1"}, {"position", 312}}},
      {"page",
       R"({"type":"page","name":"Pricing","category":"Docs","userId":"u1","messageId":"m1",)" +
           kTs + R"(,"properties":{"path":"/pricing"}})",
       "pageview", json{{"name", "Pricing"}, {"category", "Docs"}, {"path", "/pricing"}}},
      {"screen",
       R"({"type":"screen","name":"Home Feed","userId":"u1","messageId":"m1",)" + kTs +
           R"(,"properties":{"rows":12}})",
       "screenview", json{{"name", "Home Feed"}, {"rows", 12}}},
      {"identify",
       R"({"type":"identify","userId":"u1","messageId":"m1",)" + kTs +
           R"(,"traits":{"plan":"premium","high_value_users":true}})",
       "identify", json{{"plan", "premium"}, {"high_value_users", true}}},
      {"group",
       R"({"type":"group","groupId":"acct-9","userId":"u1","messageId":"m1",)" + kTs +
           R"(,"traits":{"name":"Initech","employees":40}})",
       "group", json{{"group_id", "acct-9"}, {"name", "Initech"}, {"employees", 40}}},
  };
}

TEST(VidoraMappingTest, SegmentTable) {
  VidoraHarness harness;
  for (const SegmentRow& row : segment_rows()) {
    SCOPED_TRACE(row.call);
    const json event = harness.one(row.input);
    EXPECT_EQ(event["type"], row.vidora_type);
    EXPECT_EQ(event["user_id"], "u1");
    EXPECT_EQ(event["event_id"], "m1");
    EXPECT_EQ(event["source"], "segment");
    EXPECT_EQ(event["timestamp"], 1709283600);
    for (const auto& [key, value] : row.expected_fields.items()) {
      EXPECT_EQ(event.value(key, json()), value) << key << " in " << event.dump();
    }
    EXPECT_TRUE(is_flat_object(event)) << event.dump();
  }
}

TEST(VidoraMappingTest, SegmentAliasIsSkippedNotRejected) {
  VidoraHarness harness;
  const auto run = harness.run(
      R"({"type":"alias","previousId":"anon-1","userId":"u1","timestamp":"2024-03-01T09:00:00Z"})");
  EXPECT_TRUE(run.events.empty());
  EXPECT_EQ(run.skipped, 1u);
  EXPECT_EQ(run.filtered, 0u);
  EXPECT_TRUE(run.rejections.empty());
}

TEST(VidoraMappingTest, AnonymousOnlyUsesAnonymousIdAsUserId) {
  VidoraHarness harness;
  const json event = harness.one(
      R"({"type":"page","name":"Home","anonymousId":"anon-5","timestamp":"2024-03-01T09:00:00Z"})");
  EXPECT_EQ(event["user_id"], "anon-5");
  EXPECT_EQ(event["anonymous_id"], "anon-5");
  const json both = harness.one(
      R"({"type":"page","name":"Home","userId":"u","anonymousId":"anon-5","timestamp":"2024-03-01T09:00:00Z"})");
  EXPECT_EQ(both["user_id"], "u");
  EXPECT_EQ(both["anonymous_id"], "anon-5");
}

// ---------------------------------------------------- mParticle mapping table

struct MparticleRow {
  const char* event_type;
  const char* data;  // extra `data` fields
  const char* vidora_type;
  json expected_fields;
};

std::vector<MparticleRow> mparticle_rows() {
  return {
      {"custom_event", R"("event_name":"Video Content Playing","custom_event_type":"media")",
       "Video Content Playing", json{{"custom_event_type", "media"}}},
      {"screen_view", R"("screen_name":"Home Feed")", "screenview", json{{"name", "Home Feed"}}},
      {"commerce_event", R"("product_action":{"action":"purchase","total_amount":25})", "purchase",
       json{{"product_action_action", "purchase"}, {"product_action_total_amount", 25}}},
      {"commerce_event", R"("product_action":{"action":"add_to_cart"})", "add_to_cart", json{}},
      {"commerce_event", R"("product_action":{"action":"remove_from_wishlist"})",
       "remove_from_wishlist", json{}},
      {"commerce_event", R"("promotion_action":{"action":"click","promotions":[{"id":"p1"}]})",
       "promotion_click", json{{"promotion_action_promotions", R"([{"id":"p1"}])"}}},
      {"commerce_event", R"("promotion_action":{"action":"view"})", "promotion_view", json{}},
      {"commerce_event", R"("product_impressions":[{"product_impression_list":"Search"}])",
       "product_impression", json{{"product_impressions", R"([{"product_impression_list":"Search"}])"}}},
      {"session_start", R"("session_start_unixtime_ms":1709283000000)", "session_start",
       json{{"session_start_unixtime_ms", 1709283000000}}},
      {"session_end", R"("session_start_unixtime_ms":1709283000000,"session_duration_ms":1000)",
       "session_end", json{{"session_duration_ms", 1000}, {"session_start_unixtime_ms", 1709283000000}}},
      {"application_state_transition",
       R"("application_transition_type":"application_initialized","is_first_run":true,)"
       R"("is_upgrade":false,"successfully_closed":true,"launch_referral":"https://ref.example/x",)"
       R"("push_notification_payload":"{\"aps\":{\"alert\":\"hi\"}}")",
       "application_state_transition",
       json{{"application_transition_type", "application_initialized"}, {"is_first_run", true},
            {"is_upgrade", false}, {"successfully_closed", true},
            {"launch_referral", "https://ref.example/x"}, {"payload", R"({"aps":{"alert":"hi"}})"}}},
      {"push_message",
       R"("push_message_type":"action","push_message_behavior":"direct_open",)"
       R"("action_identifier":"reply","action_name":"Reply","network":"apple",)"
       R"("push_notification_payload":"{\"k\":1}","push_message_token":"t")",
       "push_message",
       json{{"push_message_type", "action"}, {"push_message_behavior", "direct_open"},
            {"action_identifier", "reply"}, {"action_name", "Reply"}, {"network", "apple"},
            {"payload", R"({"k":1})"}}},
      {"push_reaction", R"("push_message_type":"action","action_name":"Open")", "push_reaction",
       json{{"push_message_type", "action"}, {"action_name", "Open"}}},
      {"push_registration", R"("register":true,"registration_token":"tok")", "push_registration",
       json{{"register", true}}},
      {"user_attribute_change",
       R"("user_attribute_name":"plan","new":"pro","old":"free","deleted":false,"is_new_attribute":false)",
       "user_attribute_change",
       json{{"user_attribute_name", "plan"}, {"new", "pro"}, {"old", "free"}, {"deleted", false},
            {"is_new_attribute", false}}},
      {"user_attribute_change",
       R"("user_attribute_name":"tags","new":["a","b"],"is_new_attribute":true)",
       "user_attribute_change",
       json{{"user_attribute_name", "tags"}, {"new", R"(["a","b"])"}, {"is_new_attribute", true}}},
      {"user_identity_change",
       R"("new":{"identity_type":"email","identity":"ada@example.com","created_this_batch":true})",
       "user_identity_change", json{{"identity_type", "email"}, {"identity_change", "added"}}},
      {"user_identity_change", R"("old":{"identity_type":"customer_id","identity":"c-1"})",
       "user_identity_change", json{{"identity_type", "customer_id"}, {"identity_change", "removed"}}},
      {"crash_report",
       R"("class_name":"IllegalStateException","severity":"fatal","message":"boom",)"
       R"("stack_trace":"at x","exception_handled":false,"session_number":3,)"
       R"("breadcrumbs":["opened","tapped"],"pl_crash_report_file_base64":"AAAA")",
       "crash_report",
       json{{"class_name", "IllegalStateException"}, {"severity", "fatal"}, {"message", "boom"},
            {"stack_trace", "at x"}, {"exception_handled", false}, {"session_number", 3},
            {"breadcrumbs", R"(["opened","tapped"])"}}},
      {"breadcrumb", R"("label":"checkout opened","session_number":3)", "breadcrumb",
       json{{"label", "checkout opened"}, {"session_number", 3}}},
      {"network_performance",
       R"("http_verb":"GET","url":"https://api.example/v1","time_elapsed":120,"bytes_in":512,)"
       R"("bytes_out":64,"response_code":200)",
       "network_performance",
       json{{"http_verb", "GET"}, {"url", "https://api.example/v1"}, {"time_elapsed", 120},
            {"bytes_in", 512}, {"bytes_out", 64}, {"response_code", 200}}},
      {"profile", R"("profile_event_type":"login","previous_mpid":1,"current_mpid":2)", "profile",
       json{{"profile_event_type", "login"}, {"previous_mpid", 1}, {"current_mpid", 2}}},
      {"first_run", "", "first_run", json{}},
      {"uninstall", "", "uninstall", json{}},
      {"opt_out", R"("is_opted_out":true)", "opt_out", json{{"is_opted_out", true}}},  // a consent change
  };
}

TEST(VidoraMappingTest, MparticleTable) {
  VidoraHarness harness;
  for (const MparticleRow& row : mparticle_rows()) {
    SCOPED_TRACE(std::string(row.event_type) + " " + row.data);
    const std::string input =
        std::string(R"({"mpid":-8016765241467138000,"environment":"production",)") +
        R"("application_info":{"application_name":"Reader","application_version":"4.2.0",)" +
        R"("application_build_number":"420","package":"com.example.reader","install_referrer":"x"},)" +
        R"("events":[{"event_type":")" + row.event_type +
        R"(","data":{"timestamp_unixtime_ms":1709283600123,"source_message_id":"smid-1",)" +
        R"("session_id":123456789,"session_uuid":"5f1c2e8a-0000-4000-8000-000000000001")" +
        (std::string(row.data).empty() ? "" : ",") + row.data + "}}]}";
    const json event = harness.one(input);
    EXPECT_EQ(event["type"], row.vidora_type);
    EXPECT_EQ(event["user_id"], "-8016765241467138000");  // the MPID, exactly
    EXPECT_EQ(event["event_id"], "smid-1");
    EXPECT_EQ(event["source"], "mparticle");
    EXPECT_EQ(event["timestamp"], 1709283600);
    EXPECT_EQ(event["environment"], "production");
    // On every event type: its session, its message id, the app.
    EXPECT_EQ(event["session_id"], 123456789);
    EXPECT_EQ(event["session_uuid"], "5f1c2e8a-0000-4000-8000-000000000001");
    EXPECT_EQ(event["source_message_id"], "smid-1");
    EXPECT_EQ(event["application_info_application_name"], "Reader");
    EXPECT_EQ(event["application_info_application_version"], "4.2.0");
    EXPECT_EQ(event["application_info_application_build_number"], "420");
    EXPECT_EQ(event["application_info_package"], "com.example.reader");
    EXPECT_FALSE(event.contains("application_info_install_referrer")) << event.dump();
    // Identifiers stay out with personal-data filtering on (the default).
    for (const char* personal : {"push_message_token", "registration_token", "new_identity",
                                 "old_identity", "pl_crash_report_file_base64"}) {
      EXPECT_FALSE(event.contains(personal)) << personal << " in " << event.dump();
    }
    for (const auto& [key, value] : row.expected_fields.items()) {
      EXPECT_EQ(event.value(key, json()), value) << key << " in " << event.dump();
    }
    EXPECT_TRUE(is_flat_object(event)) << event.dump();
  }
}

TEST(VidoraMappingTest, TypeFunctionCoversEveryKind) {
  CanonicalEvent event;
  event.kind = EventKind::kAlias;
  EXPECT_EQ(vidora_type(event), std::nullopt);
  event.kind = EventKind::kPage;
  EXPECT_EQ(vidora_type(event), "pageview");
  event.kind = EventKind::kScreen;
  EXPECT_EQ(vidora_type(event), "screenview");
  event.kind = EventKind::kScreenView;
  EXPECT_EQ(vidora_type(event), "screenview");
  event.kind = EventKind::kTrack;
  event.name = "Played";
  EXPECT_EQ(vidora_type(event), "Played");
  event.kind = EventKind::kSessionEnd;
  EXPECT_EQ(vidora_type(event), "session_end");
  event.kind = EventKind::kPushReaction;
  EXPECT_EQ(vidora_type(event), "push_reaction");
}

// ------------------------------------------------------------------ encoder

json track_with(const std::string& properties, VidoraHarness& harness) {
  return harness.one(R"({"type":"track","event":"E","userId":"u1","messageId":"m1",)" + kTs +
                     R"(,"properties":)" + properties + "}");
}

TEST(VidoraEncoderTest, FlattensNestedObjectsIntoSnakeCaseKeys) {
  VidoraHarness harness;
  const json event = track_with(
      R"({"a":{"b":{"c":1}},"productInfo":{"skuId":"x","Price Info":{"amountUSD":9.5}},"empty":{},"nil":null})",
      harness);
  EXPECT_EQ(event["a_b_c"], 1);
  EXPECT_EQ(event["product_info_sku_id"], "x");
  EXPECT_EQ(event["product_info_price_info_amount_usd"], 9.5);
  EXPECT_FALSE(event.contains("empty"));
  ASSERT_TRUE(event.contains("nil"));
  EXPECT_TRUE(event["nil"].is_null());
  EXPECT_TRUE(is_flat_object(event)) << event.dump();
}

TEST(VidoraEncoderTest, KeysBecomeSnakeCase) {
  VidoraHarness harness;
  const json event = track_with(
      R"({"productId":"p","Product Name":"n","HTMLParser":1,"already_snake":2,"kebab-case":3,"dotted.key":4,"  padded  ":5,"UPPER":6,"v2Value":7})",
      harness);
  EXPECT_EQ(event["product_id"], "p");
  EXPECT_EQ(event["product_name"], "n");
  EXPECT_EQ(event["html_parser"], 1);
  EXPECT_EQ(event["already_snake"], 2);
  EXPECT_EQ(event["kebab_case"], 3);
  EXPECT_EQ(event["dotted_key"], 4);
  EXPECT_EQ(event["padded"], 5);
  EXPECT_EQ(event["upper"], 6);
  EXPECT_EQ(event["v2_value"], 7);
  for (const auto& [key, value] : event.items()) {
    EXPECT_EQ(key.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ \t"), std::string::npos) << key;
  }
}

TEST(VidoraEncoderTest, SnakeCaseFunction) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"productId", "product_id"}, {"Product ID", "product_id"}, {"$FirstName", "first_name"},
      {"HTMLParser", "html_parser"}, {"a__b", "a_b"},           {"_x_", "x"},
      {"café", "café"},             {"", ""},                    {"$$$", ""},
      {"userID", "user_id"},        {"ABC", "abc"},              {"a1B2", "a1_b2"}};
  for (const auto& [in, expected] : cases) {
    std::string out;
    append_snake_case(out, in);
    EXPECT_EQ(out, expected) << in;
  }
}

// Keys already in snake_case are copied as they are; every other key takes
// the full conversion. A key one byte away from snake_case, at every position
// of every length up to three 8-byte words, must be converted: the check that
// lets snake_case keys through looks at whole words, so a wrong word boundary
// or tail would copy such a key unchanged.
TEST(VidoraEncoderTest, SnakeCaseNearMissesAreConvertedAtEveryPosition) {
  for (size_t length = 1; length <= 24; ++length) {
    const std::string snake(length, 'k');
    auto converted = [](const std::string& key) {
      std::string out;
      append_snake_case(out, key);
      return out;
    };
    EXPECT_EQ(converted(snake), snake);
    for (size_t at = 0; at < length; ++at) {
      std::string upper = snake;
      upper[at] = 'K';  // "kkKkk" -> "kk_kkk"
      EXPECT_EQ(converted(upper), at == 0 ? snake : snake.substr(0, at) + "_" + snake.substr(at))
          << upper;
      std::string dash = snake;
      dash[at] = '-';  // a separator: "kk-kk" -> "kk_kk", dropped at either end
      std::string dash_expected = dash;
      dash_expected[at] = '_';
      if (at == 0 || at + 1 == length) dash_expected.erase(at, 1);
      EXPECT_EQ(converted(dash), dash_expected) << dash;
      std::string edge_underscore = snake;
      edge_underscore[at] = '_';
      if (at == 0 || at + 1 == length) {  // a leading or trailing '_' is dropped
        EXPECT_EQ(converted(edge_underscore), snake.substr(1)) << edge_underscore;
      } else {
        EXPECT_EQ(converted(edge_underscore), edge_underscore) << edge_underscore;
      }
      if (at > 0 && at + 2 < length) {  // "kk__kk" -> "kk_kk"
        std::string doubled = snake;
        doubled[at] = '_';
        doubled[at + 1] = '_';
        std::string doubled_expected = doubled;
        doubled_expected.erase(at + 1, 1);
        EXPECT_EQ(converted(doubled), doubled_expected) << doubled;
      }
    }
  }
}

TEST(VidoraEncoderTest, ArraysTravelAsJsonStrings) {
  VidoraHarness harness;
  const json event =
      track_with(R"({"list":[1,"two",{"three":3}],"nested":{"tags":["a","b"]},"none":[]})", harness);
  ASSERT_TRUE(event["list"].is_string());
  EXPECT_EQ(json::parse(event["list"].get<std::string>()), json::parse(R"([1,"two",{"three":3}])"));
  EXPECT_EQ(event["nested_tags"], R"(["a","b"])");
  EXPECT_EQ(event["none"], "[]");
}

TEST(VidoraEncoderTest, ReservedKeyCollisionsGetPropPrefix) {
  VidoraHarness harness;
  const json event = harness.one(
      R"({"type":"track","event":"E","userId":"u1","anonymousId":"a1","messageId":"m1",)" + kTs +
      R"(,"properties":{"user_id":"spoof","type":"spoof","timestamp":1,"event_id":"spoof","source":"spoof","anonymous_id":"spoof","userId":"camel-spoof"}})");
  EXPECT_EQ(event["user_id"], "u1");
  EXPECT_EQ(event["type"], "E");
  EXPECT_EQ(event["timestamp"], 1709283600);
  EXPECT_EQ(event["event_id"], "m1");
  EXPECT_EQ(event["source"], "segment");
  EXPECT_EQ(event["anonymous_id"], "a1");
  EXPECT_EQ(event["prop_user_id"], "spoof");
  EXPECT_EQ(event["prop_type"], "spoof");
  EXPECT_EQ(event["prop_timestamp"], 1);
  EXPECT_EQ(event["prop_event_id"], "spoof");
  EXPECT_EQ(event["prop_source"], "spoof");
  EXPECT_EQ(event["prop_anonymous_id"], "spoof");
  // A reserved key is reserved even when this event does not write it.
  const json no_anon = track_with(R"({"anonymous_id":"spoof"})", harness);
  EXPECT_FALSE(no_anon.contains("anonymous_id"));
  EXPECT_EQ(no_anon["prop_anonymous_id"], "spoof");
  // Keys the call writes (page name) are protected the same way.
  const json page = harness.one(
      R"({"type":"page","name":"Pricing","userId":"u1",)" + kTs + R"(,"properties":{"name":"spoof"}})");
  EXPECT_EQ(page["name"], "Pricing");
  EXPECT_EQ(page["prop_name"], "spoof");
}

TEST(VidoraEncoderTest, FlattenedKeysCollidingWithEachOtherGetPropPrefix) {
  VidoraHarness harness;
  const json event = track_with(R"({"a":{"b":{"c":1}},"a_b":{"c":2}})", harness);
  EXPECT_EQ(event["a_b_c"], 1);
  EXPECT_EQ(event["prop_a_b_c"], 2);
}

TEST(VidoraEncoderTest, OutputIsValidJsonWithEscapes) {
  VidoraHarness harness;
  const json event = harness.one(
      R"({"type":"track","event":"Escapes \"quoted\" \\ \u00e9 \ud83c\udfac","userId":"u\n1",)" + kTs +
      R"(,"properties":{"text":"line1\nline2\ttab \u0000 nul","emoji":"🎬"}})");
  EXPECT_EQ(event["type"], "Escapes \"quoted\" \\ \xC3\xA9 \xF0\x9F\x8E\xAC");
  EXPECT_EQ(event["user_id"], "u\n1");
  EXPECT_EQ(event["text"], std::string("line1\nline2\ttab \0 nul", 21));
}

struct TimestampCase {
  const char* format;
  const char* timestamp;
  json expected;
};

TEST(VidoraEncoderTest, TimestampFormats) {
  const std::vector<TimestampCase> cases = {
      {"unix_s", "2024-03-01T09:00:00.999Z", 1709283600},
      {"unix_ms", "2024-03-01T09:00:00.999Z", 1709283600999},
      {"iso8601", "2024-03-01T10:00:00.999+01:00", "2024-03-01T09:00:00.999Z"},
      // The ends of the accepted range (earlier times are bad_timestamp).
      {"unix_s", "1970-01-01T00:00:00.999Z", 0},
      {"unix_ms", "1970-01-01T00:00:00Z", 0},
      {"iso8601", "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"},
      {"unix_ms", "9999-12-31T23:59:59.999Z", 253402300799999},
  };
  for (const TimestampCase& c : cases) {
    SCOPED_TRACE(std::string(c.format) + " " + c.timestamp);
    VidoraSettings settings;
    settings.timestamp_format = *timestamp_format_from(c.format);
    EXPECT_EQ(to_string(settings.timestamp_format), c.format);
    VidoraHarness harness(settings);
    const json event = harness.one(std::string(R"({"type":"track","event":"E","userId":"u","timestamp":")") +
                                   c.timestamp + R"("})");
    EXPECT_EQ(event["timestamp"], c.expected);
  }
  EXPECT_EQ(timestamp_format_from("unix"), std::nullopt);
}

// ---------------------------------------------------- personal-data filtering

const std::string kPersonalBatch = R"({
  "mpid":8016765241467138000,"environment":"production","ip":"198.51.100.7",
  "user_identities":[{"identity_type":"email","identity":"ada@example.com"},
                     {"identity_type":"customer_id","identity":"cust-1001"}],
  "user_attributes":{"$FirstName":"Ada","$Mobile":"+44 7700 900123","plan":"premium","favourite_genres":["Drama"]},
  "device_info":{"platform":"iOS","os_version":"17.3.1","http_header_user_agent":"ExampleTV/5.12",
                 "ios_advertising_id":"7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB","ios_idfv":"B537",
                 "push_token":"ff15bc","android_uuid":"a-1","roku_publisher_id":"r-1",
                 "android_advertising_id":"g-1","tizen_advertising_id":"t-1"},
  "consent_state":{"gdpr":{"marketing":{"consented":true},"analytics":{"consented":"false"}},
                   "ccpa":{"data_sale_opt_out":{"consented":"true"}}},
  "events":[{"event_type":"custom_event","data":{"event_name":"Played","custom_event_type":"media",
             "timestamp_unixtime_ms":1709283600000,"custom_attributes":{"asset_id":"ep-1"}}}]})";

TEST(VidoraEncoderTest, PersonalDataFilteringOnByDefault) {
  VidoraSettings settings;
  ASSERT_TRUE(settings.personal_data_filtering);
  VidoraHarness harness(settings);
  const json event = harness.one(kPersonalBatch);
  // Removed.
  EXPECT_FALSE(event.contains("ip"));
  for (const auto& [key, value] : event.items()) {
    EXPECT_EQ(key.find("user_identities"), std::string::npos) << key;
    EXPECT_EQ(key.find("advertising_id"), std::string::npos) << key;
    EXPECT_EQ(key.find("publisher_id"), std::string::npos) << key;
    EXPECT_EQ(key.find("push_token"), std::string::npos) << key;
    EXPECT_EQ(key.find("idfv"), std::string::npos) << key;
    EXPECT_EQ(key.find("android_uuid"), std::string::npos) << key;
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      for (const char* secret : {"ada@example.com", "cust-1001", "198.51.100.7", "Ada",
                                 "+44 7700 900123", "7A3CBEA0", "ff15bc"}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << key << "=" << text;
      }
    }
  }
  EXPECT_FALSE(event.contains("user_attributes_first_name"));
  EXPECT_FALSE(event.contains("user_attributes_mobile"));
  // Kept.
  EXPECT_EQ(event["user_id"], "8016765241467138000");
  EXPECT_EQ(event["user_attributes_plan"], "premium");
  EXPECT_EQ(event["user_attributes_favourite_genres"], R"(["Drama"])");
  EXPECT_EQ(event["device_info_platform"], "iOS");
  EXPECT_EQ(event["device_info_os_version"], "17.3.1");
  EXPECT_EQ(event["user_agent"], "ExampleTV/5.12");
  EXPECT_EQ(event["consent_gdpr_marketing"], true);
  EXPECT_EQ(event["consent_gdpr_analytics"], false);
  EXPECT_EQ(event["consent_ccpa_data_sale_opt_out"], true);
  EXPECT_EQ(event["asset_id"], "ep-1");
  EXPECT_EQ(event["custom_event_type"], "media");
  EXPECT_TRUE(is_flat_object(event));
}

TEST(VidoraEncoderTest, PersonalDataFilteringOff) {
  VidoraSettings settings;
  settings.personal_data_filtering = false;
  VidoraHarness harness(settings);
  const json event = harness.one(kPersonalBatch);
  EXPECT_EQ(event["ip"], "198.51.100.7");
  EXPECT_EQ(event["user_identities_email"], "ada@example.com");
  EXPECT_EQ(event["user_identities_customer_id"], "cust-1001");
  EXPECT_EQ(event["user_attributes_first_name"], "Ada");
  EXPECT_EQ(event["device_info_ios_advertising_id"], "7A3CBEA0-BDF5-11E4-8DFC-AA07A5B093DB");
  EXPECT_EQ(event["device_info_push_token"], "ff15bc");
  EXPECT_EQ(event["user_attributes_plan"], "premium");
  EXPECT_EQ(event["consent_ccpa_data_sale_opt_out"], true);

  // The inbound map form of user_identities is forwarded the same way.
  const json map_form = harness.one(
      R"({"mpid":1,"ip":"2001:db8::1","user_identities":{"email":"b@example.com","customerid":"c-2"},"events":[{"event_type":"session_start","data":{"timestamp_unixtime_ms":1709283600000}}]})");
  EXPECT_EQ(map_form["ip"], "2001:db8::1");
  EXPECT_EQ(map_form["user_identities_email"], "b@example.com");
  EXPECT_EQ(map_form["user_identities_customerid"], "c-2");
}

// An mParticle batch's device_info and user attributes are written once per
// batch and pasted into each event (VidoraEncoder::encode_batch_attributes).
// Every event must equal what writing them per event gives: the reference is
// the same event with batch_serial 0, which takes the per-event path.
TEST(VidoraEncoderTest, BatchAttributesWrittenOncePerBatchEqualWritingThemPerEvent) {
  std::vector<std::string> batches = cdp_relay::testing::read_lines("tests/fixtures/mparticle/outbound_batches.jsonl");
  for (auto& line : cdp_relay::testing::read_lines("tests/fixtures/mparticle/sdk_batches.jsonl")) {
    batches.push_back(std::move(line));
  }
  // Keys that collide once snake-cased (prop_ forms and a dropped value), and
  // one that a custom attribute collides with after the paste.
  batches.push_back(R"({"mpid":7,"device_info":{"OS":"a","os":"b","Os":"c","osVersion":"1"},
    "user_attributes":{"Plan":"p","plan":"q","$Email":"e@example.com"},
    "events":[{"event_type":"custom_event","data":{"event_name":"E","timestamp_unixtime_ms":1,
      "custom_attributes":{"device_info_os_version":"x","prop_device_info_os":"y"}}},
      {"event_type":"screen_view","data":{"screen_name":"S","timestamp_unixtime_ms":2}}]})");
  batches.push_back(batches.front());  // the same bytes again: a new batch all the same

  for (bool filtering : {true, false}) {
    SCOPED_TRACE(filtering ? "personal-data filtering" : "no filtering");
    VidoraEncoder per_batch({TimestampFormat::kUnixMillis, filtering});
    VidoraEncoder per_event({TimestampFormat::kUnixMillis, filtering});
    decode::Decoder decoder;
    decode::DecodedMessage decoded;
    size_t compared = 0;
    uint64_t previous_serial = 0;
    for (const std::string& batch : batches) {
      decoder.decode(batch, decode::InputFormat::kAuto, cdp_relay::testing::test_origin(1), decoded);
      ASSERT_FALSE(decoded.events.empty()) << batch.substr(0, 80);
      EXPECT_NE(decoded.events.front().mparticle.batch_serial, previous_serial);
      previous_serial = decoded.events.front().mparticle.batch_serial;
      for (const CanonicalEvent& event : decoded.events) {
        EXPECT_EQ(event.mparticle.batch_serial, previous_serial) << "one serial per batch";
        const auto type = vidora_type(event);
        if (!type) continue;
        std::string pasted, written;
        per_batch.encode(event, *type, pasted);
        CanonicalEvent unshared = event;
        unshared.mparticle.batch_serial = 0;
        per_event.encode(unshared, *type, written);
        EXPECT_EQ(pasted, written);
        ++compared;
      }
    }
    EXPECT_GT(compared, 50u);
  }
}

TEST(VidoraEncoderTest, DeviceIdentifierList) {
  for (const char* key : {"ios_advertising_id", "android_advertising_id", "push_token", "ios_idfv",
                          "android_uuid", "amp_id", "roku_publisher_id", "fire_advertising_id",
                          "tizen_advertising_id"}) {
    EXPECT_TRUE(is_device_identifier(key)) << key;
  }
  for (const char* key : {"platform", "os_version", "brand", "http_header_user_agent",
                          "screen_width", "locale_country"}) {
    EXPECT_FALSE(is_device_identifier(key)) << key;
  }
}

// ------------------------------------------------------ integrations filter

struct IntegrationsCase {
  const char* label;
  std::string input;
  bool delivered;
};

std::string track_integrations(const std::string& integrations) {
  return R"({"type":"track","event":"E","userId":"u",)" + kTs + R"(,"integrations":)" +
         integrations + "}";
}

std::string envelope(const std::string& item_integrations, const std::string& envelope_integrations) {
  std::string item = R"({"type":"track","event":"E","userId":"u",)" + kTs;
  if (!item_integrations.empty()) item += R"(,"integrations":)" + item_integrations;
  item += "}";
  return R"({"batch":[)" + item + R"(],"integrations":)" + envelope_integrations + "}";
}

TEST(VidoraIntegrationsTest, FilterThroughTransformStage) {
  const std::vector<IntegrationsCase> cases = {
      {"empty", track_integrations("{}"), true},
      {"Vidora:false", track_integrations(R"({"Vidora":false})"), false},
      {"Vidora:true", track_integrations(R"({"Vidora":true})"), true},
      {"Vidora:options", track_integrations(R"({"Vidora":{"region":"eu"}})"), true},
      {"All:false", track_integrations(R"({"All":false})"), false},
      {"All:false+Vidora:true", track_integrations(R"({"All":false,"Vidora":true})"), true},
      {"All:false+Spideo:true", track_integrations(R"({"All":false,"Spideo":true})"), false},
      {"All:true+Vidora:false", track_integrations(R"({"All":true,"Vidora":false})"), false},
      {"Spideo:false", track_integrations(R"({"Spideo":false})"), true},
      {"envelope Vidora:false", envelope("", R"({"Vidora":false})"), false},
      {"envelope All:false", envelope("", R"({"All":false})"), false},
      {"item Vidora:true over envelope Vidora:false", envelope(R"({"Vidora":true})", R"({"Vidora":false})"), true},
      {"item Vidora:true over envelope All:false", envelope(R"({"Vidora":true})", R"({"All":false})"), true},
      {"item Vidora:false over envelope Vidora:true", envelope(R"({"Vidora":false})", R"({"Vidora":true})"), false},
      {"item All:true over envelope All:false", envelope(R"({"All":true})", R"({"All":false})"), true},
  };
  VidoraHarness harness;
  for (const IntegrationsCase& c : cases) {
    SCOPED_TRACE(c.label);
    const auto run = harness.run(c.input);
    EXPECT_TRUE(run.rejections.empty());
    EXPECT_EQ(run.events.size(), c.delivered ? 1u : 0u);
    EXPECT_EQ(run.filtered, c.delivered ? 0u : 1u);
  }
}

}  // namespace
}  // namespace cdp_relay::destinations::vidora
