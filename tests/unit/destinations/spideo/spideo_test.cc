// Spideo's mapping (DESIGN.md §4): interactions, content ids, request shape,
// URL encoding of hostile ids, audiences, and the request builder.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "destinations/spideo/spideo_event_encoder.h"
#include "destinations/spideo/spideo_mapping.h"
#include "destinations/spideo/spideo_request_builder.h"
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
  route::RouteDecision decision(const std::string& input) {
    SpideoRun r = run(input);
    for (size_t i = 0; i < route::kRouteDecisionCount; ++i) {
      if (r.output.decisions[i] > 0) return static_cast<route::RouteDecision>(i);
    }
    return route::RouteDecision::kCount;
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
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"Video Content Playing", "play"}, {"Video Content Started", "play"},
      {"Video Content Completed", "play"}, {"Video Playback Started", "play"},
      {"Product Clicked", "click"},       {"Promotion Clicked", "click"},
      {"Order Completed", "buy"}};
  for (const auto& [event, interaction] : expected) {
    EXPECT_EQ(interaction_for(event, s.interactions), interaction) << event;
  }
  EXPECT_EQ(interaction_for("Page Scrolled", s.interactions), std::nullopt);
  EXPECT_EQ(s.interactions.size(), expected.size());
}

TEST(SpideoMappingTest, TrackBecomesOneRequestPerInteraction) {
  SpideoHarness harness;
  SpideoRun r = harness.run(track("Order Completed", R"({"product_id":"sku-1","origin":"home",)"
                                               R"("device":"tv","distributions":["svod"]})"));
  ASSERT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(r.requests[0]["method"], "PUT");
  EXPECT_EQ(r.requests[0]["url"], "https://acme.spideo.tv/api/users/u1/interactions/buy/sku-1");
  EXPECT_EQ(r.requests[0]["body"],
            json::parse(R"({"origin":"home","distributions":["svod"],"device":"tv"})"));
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
}

TEST(SpideoMappingTest, SkipsWithAReasonInsteadOfDeadLettering) {
  SpideoHarness harness;
  EXPECT_EQ(harness.decision(track("Video Content Playing", R"({"title":"x"})")),
            route::RouteDecision::kNoContentId);
  EXPECT_EQ(harness.decision(track("Page Scrolled", R"({"asset_id":"a"})")),
            route::RouteDecision::kUnmappedEvent);
  EXPECT_EQ(harness.decision(R"({"type":"page","userId":"u","name":"Home","timestamp":"2024-01-01T00:00:00Z"})"),
            route::RouteDecision::kUnsupportedKind);
  EXPECT_EQ(harness.decision(R"({"type":"identify","userId":"u","traits":{"a":true},"timestamp":"2024-01-01T00:00:00Z"})"),
            route::RouteDecision::kUnsupportedKind)
      << "audiences are off by default";
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
  EXPECT_EQ(r.requests[0]["body"], json::parse(R"({"origin":"push","device":"ios"})"));
}

TEST(SpideoMappingTest, AudienceTraitsBecomeUserPropertyUpdatesWhenEnabled) {
  SpideoSettings s = settings();
  s.audiences.enabled = true;
  SpideoHarness harness(s);
  SpideoRun r = harness.run(
      R"({"type":"identify","userId":"u 1","timestamp":"2024-01-01T00:00:00Z","traits":)"
      R"({"high_value_users":true,"churn_risk":false,"Plan":true,"name":"Ada","vip2":"yes"}})");
  ASSERT_EQ(r.requests.size(), 2u);
  EXPECT_EQ(r.requests[0]["url"], "https://acme.spideo.tv/api/users/u%201/properties/high_value_users");
  EXPECT_EQ(r.requests[0]["body"], json::parse(R"({"value":true})"));
  EXPECT_EQ(r.requests[1]["url"], "https://acme.spideo.tv/api/users/u%201/properties/churn_risk");
  EXPECT_EQ(r.requests[1]["body"], json::parse(R"({"value":false})"));
  EXPECT_TRUE(is_audience_name("high_value_users"));
  EXPECT_FALSE(is_audience_name("Plan"));
  EXPECT_FALSE(is_audience_name("2fast"));
  EXPECT_FALSE(is_audience_name("a-b"));
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

  item.payload = R"({"method":"POST","url":"https://h/x?v=1","body":{}})";
  const delivery::HttpRequest empty = builder.build({item});
  EXPECT_EQ(empty.url, "https://h/x?v=1&apikey=sp-key%2F%2B%3D");
  EXPECT_TRUE(empty.body.empty());
  EXPECT_EQ(empty.method, "POST");
}

TEST(SpideoMappingTest, FillUrlTemplateLeavesUnknownPlaceholders) {
  EXPECT_EQ(fill_url_template("https://{client}.x/{user}/{other}", {{"user", "a b"}}),
            "https://{client}.x/a%20b/{other}");
}

}  // namespace
}  // namespace cdp_relay::destinations::spideo
