// Spideo's mapping (README "Spideo destination"): interactions and how names
// match, content ids, the interaction time, request shape, URL encoding of
// hostile ids, Engage audiences, and the request builder with both auth modes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "destinations/spideo/spideo_event_encoder.h"
#include "destinations/spideo/spideo_mapping.h"
#include "destinations/spideo/spideo_request_builder.h"
#include "destinations/spideo/spideo_wire_request.h"
#include "route/transform_stage.h"

namespace cdp_relay::destinations::spideo {
namespace {

using nlohmann::json;

SpideoSettings settings() {
  SpideoSettings s;
  s.enabled = true;
  s.api_key = "sp-key/+=";
  s.client = "acme";
  return s;
}

struct SpideoRun {
  std::vector<json> requests;
  route::DestinationOutput output;
};

class SpideoHarness {
 public:
  explicit SpideoHarness(SpideoSettings s = settings()) : settings_(std::move(s)) {
    std::vector<std::unique_ptr<route::EventEncoder>> encoders;
    encoders.push_back(std::make_unique<SpideoEventEncoder>(settings_));
    stage_ = std::make_unique<route::TransformStage>(decode::DecodeLimits{}, std::move(encoders));
  }
  SpideoRun run(const std::string& input) {
    Origin origin;
    origin.topic = "t";
    stage_->process(input, decode::InputFormat::kAuto, origin, result_);
    SpideoRun run;
    run.output = result_.outputs.at(0);
    for (const auto& slice : run.output.events) {
      run.requests.push_back(json::parse(run.output.bytes(slice)));
    }
    return run;
  }
  RouteDecision decision(const std::string& input) {
    SpideoRun r = run(input);
    for (size_t i = 0; i < kRouteDecisionCount; ++i) {
      if (r.output.decisions[i] > 0) return static_cast<RouteDecision>(i);
    }
    return RouteDecision::kCount;
  }

 private:
  SpideoSettings settings_;
  std::unique_ptr<route::TransformStage> stage_;
  route::TransformResult result_;
};

std::string track(const std::string& event, const std::string& properties,
                  const std::string& user = "u1", const std::string& extra = "") {
  return R"({"type":"track","userId":")" + user + R"(","event":")" + event +
         R"(","timestamp":"2024-01-01T00:00:00Z","properties":)" + properties + extra + "}";
}

TEST(SpideoMappingTest, DefaultInteractionTable) {
  const SpideoSettings s;
  const InteractionTable table(s.interactions);
  std::string scratch;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Video Content Started", "play"},  {"Video Content Playing", "play"},
      {"Video Content Completed", "play"}, {"Video Content Watched", "play"},
      {"Video Playback Started", "play"}, {"Video Playback Resumed", "play"},
      {"Video Playback Completed", "play"}, {"Product Clicked", "click"},
      {"Promotion Clicked", "click"},     {"Order Completed", "buy"},
      {"Product Purchased", "buy"}};
  for (const auto& [event, interaction] : expected) {
    EXPECT_EQ(table.find(event, scratch), interaction) << event;
  }
  EXPECT_EQ(table.find("Page Scrolled", scratch), std::nullopt);
  EXPECT_EQ(s.interactions.size(), expected.size());
}

TEST(SpideoMappingTest, NamesMatchCaseInsensitivelyAndInSnakeCase) {
  const InteractionTable table(SpideoSettings{}.interactions);
  std::string scratch;
  for (const char* name : {"video_content_playing", "VIDEO CONTENT PLAYING", "Video-Content-Playing",
                           " video  content_playing ", "Video_Content_Playing"}) {
    EXPECT_EQ(table.find(name, scratch), "play") << name;
  }
  EXPECT_EQ(table.find("videocontentplaying", scratch), std::nullopt);
  EXPECT_EQ(table.find("video_content_playing_2", scratch), std::nullopt);
  // Configured tables match the same way, whichever spelling the key has.
  const InteractionTable configured({{"episode_watched", "play"}, {"Gift Sent", "buy"}});
  EXPECT_EQ(configured.find("Episode Watched", scratch), "play");
  EXPECT_EQ(configured.find("gift_sent", scratch), "buy");
  EXPECT_EQ(configured.find("Order Completed", scratch), std::nullopt)
      << "a configured table replaces the defaults";
}

TEST(SpideoMappingTest, ConflictingSpellingsOfOneNameAreAConfigError) {
  SpideoSettings s = settings();
  s.interactions = {{"Order Completed", "buy"}, {"order_completed", "click"}, {"x", ""}};
  util::ConfigErrors errors;
  s.validate("destinations.spideo", errors);
  ASSERT_EQ(errors.all().size(), 2u);
  EXPECT_EQ(errors.all()[0].path, "destinations.spideo.interactions.x");
  EXPECT_EQ(errors.all()[1].path, "destinations.spideo.interactions");
  EXPECT_NE(errors.all()[1].message.find("`Order Completed` and `order_completed`"),
            std::string::npos)
      << errors.all()[1].message;
  s.interactions = {{"Order Completed", "buy"}, {"order_completed", "buy"}};
  util::ConfigErrors same;
  s.validate("destinations.spideo", same);
  EXPECT_TRUE(same.empty()) << "two spellings with one interaction are harmless";
}

TEST(SpideoMappingTest, TrackBecomesOneRequestPerInteraction) {
  SpideoHarness harness;
  SpideoRun r = harness.run(track("Order Completed", R"({"product_id":"sku-1","origin":"home",)"
                                               R"("device":"tv","distributions":["svod"]})"));
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0]["method"], "PUT");
  EXPECT_EQ(r.requests[0]["url"], "https://acme.spideo.tv/api/users/u1/interactions/buy/sku-1");
  EXPECT_EQ(r.requests[0]["body"],
            json::parse(R"({"timestamp":"2024-01-01T00:00:00.000Z","origin":"home",)"
                        R"("distributions":["svod"],"device":"tv"})"));
  // The key is added by the request builder, never written into the wire event.
  EXPECT_EQ(r.requests[0].dump().find("sp-key"), std::string::npos);
}

TEST(SpideoMappingTest, ContentIdPrecedenceAndTypes) {
  SpideoHarness harness;
  auto url_of = [&](const std::string& properties) {
    SpideoRun r = harness.run(track("Video Content Playing", properties));
    return r.requests.empty() ? std::string() : r.requests[0]["url"].get<std::string>();
  };
  EXPECT_TRUE(url_of(R"({"asset_id":"a","content_asset_id":"c","product_id":"p"})").ends_with("/play/a"));
  EXPECT_TRUE(url_of(R"({"content_asset_id":"c","product_id":"p"})").ends_with("/play/c"));
  EXPECT_TRUE(url_of(R"({"product_id":"p"})").ends_with("/play/p"));
  EXPECT_TRUE(url_of(R"({"asset_id":12345})").ends_with("/play/12345"));
  EXPECT_TRUE(url_of(R"({"asset_id":"","product_id":"p"})").ends_with("/play/p"));
  EXPECT_TRUE(url_of(R"({"content_asset_ids":["c1"],"product_id":"p"})").ends_with("/play/c1"));
  EXPECT_TRUE(url_of(R"({"product_id":"p","products":[{"product_id":"q"}]})").ends_with("/play/p"));
  EXPECT_TRUE(url_of(R"({"products":[{"product_id":"q"}],"promotion_id":"pr"})").ends_with("/play/q"));
  EXPECT_TRUE(url_of(R"({"promotion_id":"pr"})").ends_with("/play/pr"));
  EXPECT_TRUE(url_of(R"({"asset_id":1.5,"promotion_id":"pr"})").ends_with("/play/pr"))
      << "a float is not an id";
  EXPECT_TRUE(url_of(R"({"asset_id":null,"content_asset_ids":[],"products":[{"sku":"s"}],)"
                     R"("promotion_id":18446744073709551615})")
                  .ends_with("/play/18446744073709551615"));
}

TEST(SpideoMappingTest, OneInteractionPerContentId) {
  SpideoHarness harness;
  SpideoRun order = harness.run(track(
      "Order Completed",
      R"({"order_id":"o1","products":[{"product_id":"p1","quantity":1},{"product_id":2},)"
      R"({"sku":"no-id"},"not-an-object",{"product_id":"p1"},{"product_id":"p3"}]})"));
  std::vector<std::string> urls;
  for (const auto& request : order.requests) urls.push_back(request["url"]);
  EXPECT_EQ(urls, (std::vector<std::string>{
                      "https://acme.spideo.tv/api/users/u1/interactions/buy/p1",
                      "https://acme.spideo.tv/api/users/u1/interactions/buy/2",
                      "https://acme.spideo.tv/api/users/u1/interactions/buy/p3"}))
      << "three distinct products, the repeated p1 once";
  for (const auto& request : order.requests) {
    EXPECT_EQ(request["body"], json::parse(R"({"timestamp":"2024-01-01T00:00:00.000Z"})"));
  }
  SpideoRun video = harness.run(track("Video Playback Started",
                                      R"({"content_asset_ids":["a1","",7,{"x":1},"a2"]})"));
  ASSERT_EQ(video.requests.size(), 3u) << "an empty string or an object is no id";
  EXPECT_TRUE(video.requests[0]["url"].get<std::string>().ends_with("/play/a1"));
  EXPECT_TRUE(video.requests[1]["url"].get<std::string>().ends_with("/play/7"));
  EXPECT_TRUE(video.requests[2]["url"].get<std::string>().ends_with("/play/a2"));
}

TEST(SpideoMappingTest, TheBodyCarriesTheEventsOwnTime) {
  SpideoHarness harness;
  const std::string event =
      R"({"type":"track","userId":"u","event":"Product Clicked","properties":{"product_id":"p"},)"
      R"("timestamp":"2019-07-04T17:30:05.123+02:00","sentAt":"2024-01-01T00:00:00Z"})";
  SpideoRun r = harness.run(event);
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0]["body"]["timestamp"], "2019-07-04T15:30:05.123Z");
}

TEST(SpideoMappingTest, SkipsWithAReasonInsteadOfDeadLettering) {
  SpideoHarness harness;
  EXPECT_EQ(harness.decision(track("Video Content Playing", R"({"title":"x"})")),
            RouteDecision::kNoContentId);
  EXPECT_EQ(harness.decision(track("Page Scrolled", R"({"asset_id":"a"})")),
            RouteDecision::kUnmappedEvent);
  EXPECT_EQ(harness.decision(R"({"type":"page","userId":"u","name":"Home","timestamp":"2024-01-01T00:00:00Z"})"),
            RouteDecision::kUnsupportedKind);
  EXPECT_EQ(harness.decision(R"({"type":"identify","userId":"u","traits":{"a":true},"timestamp":"2024-01-01T00:00:00Z"})"),
            RouteDecision::kUnsupportedKind)
      << "an identify that is not from Engage";
  SpideoRun r = harness.run(track("Video Content Playing", R"({"title":"x"})"));
  EXPECT_EQ(r.output.skipped, 1u);
  EXPECT_TRUE(r.requests.empty());
}

TEST(SpideoMappingTest, HostileIdsArePercentEncodedAndCannotChangeThePath) {
  SpideoHarness harness;
  SpideoRun r = harness.run(track("Product Clicked", R"({"product_id":"../../admin?x=1#frag"})",
                            "../etc/pass wd", ""));
  ASSERT_EQ(r.requests.size(), 1u);
  const std::string url = r.requests[0]["url"];
  EXPECT_EQ(url,
            "https://acme.spideo.tv/api/users/..%2Fetc%2Fpass%20wd/interactions/click/"
            "..%2F..%2Fadmin%3Fx%3D1%23frag");
  SpideoRun unicode = harness.run(track("Product Clicked", R"({"product_id":"ünï çødé"})", "ユーザー"));
  ASSERT_EQ(unicode.requests.size(), 1u);
  EXPECT_EQ(unicode.requests[0]["url"],
            "https://acme.spideo.tv/api/users/%E3%83%A6%E3%83%BC%E3%82%B6%E3%83%BC/interactions/"
            "click/%C3%BCn%C3%AF%20%C3%A7%C3%B8d%C3%A9");
}

TEST(SpideoMappingTest, DeviceFallsBackToTheContextDeviceType) {
  SpideoHarness harness;
  SpideoRun r = harness.run(track("Product Clicked", R"({"product_id":"p"})", "u1",
                            R"(,"context":{"device":{"type":"ios"},"origin":"push"})"));
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0]["body"],
            json::parse(R"({"timestamp":"2024-01-01T00:00:00.000Z","origin":"push","device":"ios"})"));
}

std::string engage(const std::string& call, const std::string& key, const std::string& fields,
                   const std::string& computation_class = "audience") {
  return R"({"type":")" + call + R"(","userId":"u 1","timestamp":"2024-01-01T00:00:00Z",)" +
         fields + R"(,"context":{"personas":{"computation_class":")" + computation_class +
         R"(","computation_id":"aud_1","computation_key":")" + key +
         R"(","space_id":"spa_1"}}})";
}

TEST(SpideoAudienceTest, EngageAudienceIdentifyUpdatesTheNamedProperty) {
  SpideoHarness harness;
  SpideoRun r = harness.run(engage("identify", "order_completed_last_30days",
                                   R"("traits":{"order_completed_last_30days":true,)"
                                   R"("other_audience":false,"email":"a@b.c"})"));
  ASSERT_EQ(r.requests.size(), 1u) << "only the trait computation_key names";
  EXPECT_EQ(r.requests[0]["method"], "PUT");
  EXPECT_EQ(r.requests[0]["url"],
            "https://acme.spideo.tv/api/users/u%201/properties/order_completed_last_30days");
  EXPECT_EQ(r.requests[0]["body"], json::parse(R"({"value":true})"));
  SpideoRun left = harness.run(engage("identify", "vip", R"("traits":{"vip":false})"));
  ASSERT_EQ(left.requests.size(), 1u);
  EXPECT_EQ(left.requests[0]["body"], json::parse(R"({"value":false})"));
}

TEST(SpideoAudienceTest, AudienceEnteredAndExitedTracksSetTrueAndFalse) {
  SpideoHarness harness;
  SpideoRun entered = harness.run(engage(
      "track", "high_value_users",
      R"("event":"Audience Entered","properties":{"audience_key":"high_value_users"})"));
  ASSERT_EQ(entered.requests.size(), 1u);
  EXPECT_EQ(entered.requests[0]["url"],
            "https://acme.spideo.tv/api/users/u%201/properties/high_value_users");
  EXPECT_EQ(entered.requests[0]["body"], json::parse(R"({"value":true})"));
  SpideoRun exited = harness.run(engage("track", "high_value_users",
                                        R"("event":"audience_exited","properties":{})"));
  ASSERT_EQ(exited.requests.size(), 1u);
  EXPECT_EQ(exited.requests[0]["body"], json::parse(R"({"value":false})"));
}

TEST(SpideoAudienceTest, OrdinaryBooleanTraitsAndOtherComputationsNeverUpdateProperties) {
  SpideoHarness harness;
  EXPECT_EQ(harness.decision(R"({"type":"identify","userId":"u","timestamp":"2024-01-01T00:00:00Z",)"
                             R"("traits":{"is_subscriber":true,"high_value_users":true}})"),
            RouteDecision::kUnsupportedKind);
  // A computed trait (computation_class "trait") is not an audience.
  EXPECT_EQ(harness.decision(engage("identify", "ltv", R"("traits":{"ltv":true})", "trait")),
            RouteDecision::kUnsupportedKind);
  // An ordinary track called Audience Entered is just an unmapped event.
  EXPECT_EQ(harness.decision(track("Audience Entered", R"({"high_value_users":true})")),
            RouteDecision::kUnmappedEvent);
  // Engage says which trait; a non-boolean or missing one is counted, not guessed.
  EXPECT_EQ(harness.decision(engage("identify", "vip", R"("traits":{"vip":"yes"})")),
            RouteDecision::kNoAudienceValue);
  EXPECT_EQ(harness.decision(engage("identify", "vip", R"("traits":{"other":true})")),
            RouteDecision::kNoAudienceValue);
  // Turned off, Engage calls are not sent either.
  SpideoSettings off = settings();
  off.audiences.enabled = false;
  SpideoHarness no_audiences(off);
  EXPECT_EQ(no_audiences.decision(engage("identify", "vip", R"("traits":{"vip":true})")),
            RouteDecision::kUnsupportedKind);
}

TEST(SpideoRequestBuilderTest, AddsTheEscapedApiKeyAndKeepsMethodAndBody) {
  const SpideoSettings s = settings();
  SpideoRequestBuilder builder(s);
  delivery::DeliveryItem item;
  item.payload = R"({"method":"PUT","url":"https://acme.spideo.tv/api/users/u/interactions/play/a","body":{"origin":"home"}})";
  const delivery::HttpRequest request = builder.build({item});
  EXPECT_EQ(request.method, "PUT");
  EXPECT_EQ(request.url,
            "https://acme.spideo.tv/api/users/u/interactions/play/a?apikey=sp-key%2F%2B%3D");
  EXPECT_EQ(json::parse(request.body), json::parse(R"({"origin":"home"})"));
  for (const auto& header : request.headers) EXPECT_EQ(header.find("sp-key"), std::string::npos);

  item.payload = R"({"method":"POST","url":"https://h/x?v=1","body":{}})";
  const delivery::HttpRequest empty = builder.build({item});
  EXPECT_EQ(empty.url, "https://h/x?v=1&apikey=sp-key%2F%2B%3D");
  EXPECT_TRUE(empty.body.empty());
  EXPECT_EQ(empty.method, "POST");
}

TEST(SpideoRequestBuilderTest, NumbersBeyond64BitsReachTheBodyAsWritten) {
  SpideoHarness harness;
  SpideoRun r = harness.run(track(
      "Video Content Playing",
      R"({"asset_id":"a","distributions":[98765432109876543210,2.50],"origin":"home"})"));
  ASSERT_EQ(r.output.events.size(), 1u);
  delivery::DeliveryItem item;
  item.payload = std::string(r.output.bytes(r.output.events[0]));
  const SpideoSettings s = settings();
  SpideoRequestBuilder builder(s);
  const delivery::HttpRequest request = builder.build({item});
  EXPECT_EQ(request.method, "PUT");
  EXPECT_NE(request.body.find(R"("distributions":[98765432109876543210,2.50])"), std::string::npos)
      << request.body;
  EXPECT_NE(request.body.find(R"("origin":"home")"), std::string::npos) << request.body;
}

// The wire request is read back without a JSON parser: method and URL as
// written, the body as its text; anything our encoder would not write is
// refused rather than misread.
TEST(SpideoWireRequestTest, ReadsBackWhatItWroteAndRefusesAnythingElse) {
  std::string wire;
  write_wire_request(wire, {"PATCH", "https://h/u%22x?a=1", R"({"v":"q\"uote"})"});
  EXPECT_EQ(json::parse(wire)["url"], "https://h/u%22x?a=1") << "not JSON: " << wire;
  const auto read = read_wire_request(wire);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->method, "PATCH");
  EXPECT_EQ(read->url, "https://h/u%22x?a=1");
  EXPECT_EQ(read->body, R"({"v":"q\"uote"})");

  // A string that needed escaping, members out of order, a truncated request.
  EXPECT_FALSE(read_wire_request(R"({"method":"PUT","url":"https://h/a\"b","body":{}})"));
  EXPECT_FALSE(read_wire_request(R"({"url":"https://h/","method":"PUT","body":{}})"));
  EXPECT_FALSE(read_wire_request(R"({"method":"PUT","url":"https://h/","body":{})"));
  EXPECT_FALSE(needs_no_json_escape("a\nb\x01"));
  EXPECT_TRUE(needs_no_json_escape("https://h/%20?x=1&y=%C3%A9"));
}

// A URL template is written into the wire request as it is: the characters a
// URL may not hold raw are refused at load.
TEST(SpideoConfigTest, UrlTemplatesHoldNothingThatNeedsEscaping) {
  for (const std::string bad : {"https://h/\"{user}", "https://h/a\\b", "https://h/a b",
                                "https://h/\t{user}"}) {
    SpideoSettings s = settings();
    s.enabled = true;
    s.url_template = bad;
    util::ConfigErrors errors;
    s.validate("destinations.spideo", errors);
    EXPECT_FALSE(errors.empty()) << bad;
  }
  SpideoSettings good = settings();
  good.enabled = true;
  util::ConfigErrors errors;
  good.validate("destinations.spideo", errors);
  EXPECT_TRUE(errors.empty());
}

TEST(SpideoRequestBuilderTest, HeaderAuthLeavesTheQueryAlone) {
  SpideoSettings s = settings();
  s.auth.placement = delivery::AuthPlacement::kHeader;
  s.auth.header = "X-API-Key";
  s.auth.value_template = "{api_key}";
  SpideoRequestBuilder builder(s);
  delivery::DeliveryItem item;
  item.payload = R"({"method":"PUT","url":"https://h/api/users/u/properties/p?v=1","body":{"value":true}})";
  const delivery::HttpRequest request = builder.build({item});
  EXPECT_EQ(request.url, "https://h/api/users/u/properties/p?v=1");
  EXPECT_EQ(request.headers, (std::vector<std::string>{"Content-Type: application/json", "Expect:",
                                                       "X-API-Key: sp-key/+="}));
  EXPECT_EQ(builder.secrets(), (std::vector<std::string>{"sp-key/+=", "sp-key%2F%2B%3D"}));
}

TEST(SpideoMappingTest, FillUrlTemplateLeavesUnknownPlaceholders) {
  EXPECT_EQ(fill_url_template("https://{client}.x/{user}/{other}", {{"user", "a b"}}),
            "https://{client}.x/a%20b/{other}");
}

}  // namespace
}  // namespace cdp_relay::destinations::spideo
