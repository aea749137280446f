// Routing per destination: Segment's integrations object, include/exclude
// rules and consent (README "Routing").
#include "route/router.h"

#include <gtest/gtest.h>

#include "decode/decoder.h"

namespace cdp_relay::route {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  RouteDecision decide(const std::string& input, const RoutingRules& rules = {},
                       std::string_view integration = "Spideo") {
    Origin origin;
    origin.topic = "t";
    decoder_.decode(input, decode::InputFormat::kAuto, origin, decoded_);
    EXPECT_EQ(decoded_.events.size(), 1u);
    if (decoded_.events.empty()) return RouteDecision::kCount;
    return route_event(decoded_.events[0], rules, integration);
  }
  static std::string track(const std::string& integrations) {
    return R"({"type":"track","userId":"u","event":"Order Completed","timestamp":"2024-01-01T00:00:00Z","integrations":)" +
           integrations + "}";
  }
  static std::string mparticle(const std::string& consent) {
    return R"({"mpid":1,"environment":"production","consent_state":)" + consent +
           R"(,"events":[{"event_type":"custom_event","data":{"event_name":"Play","custom_event_type":"media","timestamp_unixtime_ms":1}}]})";
  }

  decode::Decoder decoder_;
  decode::DecodedMessage decoded_;
};

TEST_F(RouterTest, IntegrationsObject) {
  EXPECT_EQ(decide(track("{}")), RouteDecision::kRouted);
  EXPECT_EQ(decide(track(R"({"Spideo":false})")), RouteDecision::kIntegrations);
  EXPECT_EQ(decide(track(R"({"All":false})")), RouteDecision::kIntegrations);
  EXPECT_EQ(decide(track(R"({"All":false,"Spideo":true})")), RouteDecision::kRouted);
  EXPECT_EQ(decide(track(R"({"All":false,"Spideo":{"option":1}})")), RouteDecision::kRouted);
  EXPECT_EQ(decide(track(R"({"Vidora":false})")), RouteDecision::kRouted) << "other destination";
  EXPECT_EQ(decide(track(R"({"Spideo":false})"), {}, ""), RouteDecision::kRouted)
      << "a destination without an integration name ignores the object";
  // Batch envelope: the envelope says no, the item says yes: the item wins.
  Origin origin;
  origin.topic = "t";
  decoder_.decode(
      R"({"batch":[{"type":"track","userId":"u","event":"E","timestamp":"2024-01-01T00:00:00Z","integrations":{"Spideo":true}}],"integrations":{"All":false}})",
      decode::InputFormat::kAuto, origin, decoded_);
  ASSERT_EQ(decoded_.events.size(), 1u);
  EXPECT_EQ(route_event(decoded_.events[0], {}, "Spideo"), RouteDecision::kRouted);
}

TEST_F(RouterTest, IncludeAndExcludeRules) {
  RoutingRules include_only;
  include_only.include = {{"track", "Order Completed"}};
  EXPECT_EQ(decide(track("{}"), include_only), RouteDecision::kRouted);
  RoutingRules other_include;
  other_include.include = {{"", "Product Clicked"}};
  EXPECT_EQ(decide(track("{}"), other_include), RouteDecision::kNotIncluded);
  RoutingRules exclude;
  exclude.exclude = {{"track", ""}};
  EXPECT_EQ(decide(track("{}"), exclude), RouteDecision::kExcluded);
  RoutingRules both;
  both.include = {{"track", ""}};
  both.exclude = {{"", "Order Completed"}};
  EXPECT_EQ(decide(track("{}"), both), RouteDecision::kExcluded) << "exclude wins";
}

TEST_F(RouterTest, CcpaOptOutBlocksOnlyWhenConfigured) {
  const std::string opted_out = mparticle(R"({"ccpa":{"data_sale_opt_out":{"consented":true}}})");
  const std::string lenient = mparticle(R"({"ccpa":{"data_sale_opt_out":{"consented":"true"}}})");
  const std::string opted_in = mparticle(R"({"ccpa":{"data_sale_opt_out":{"consented":false}}})");
  EXPECT_EQ(decide(opted_out), RouteDecision::kRouted) << "consent rules are off by default";
  RoutingRules rules;
  rules.consent.block_ccpa_opt_out = true;
  EXPECT_EQ(decide(opted_out, rules), RouteDecision::kConsentCcpaOptOut);
  EXPECT_EQ(decide(lenient, rules), RouteDecision::kConsentCcpaOptOut);
  EXPECT_EQ(decide(opted_in, rules), RouteDecision::kRouted);
  EXPECT_EQ(decide(mparticle("{}"), rules), RouteDecision::kRouted);
}

TEST_F(RouterTest, RequiredGdprPurposes) {
  RoutingRules rules;
  rules.consent.required_gdpr_purposes = {"marketing", "analytics"};
  EXPECT_EQ(decide(mparticle(R"({"gdpr":{"marketing":{"consented":true},"analytics":{"consented":true}}})"),
                   rules),
            RouteDecision::kRouted);
  EXPECT_EQ(decide(mparticle(R"({"gdpr":{"marketing":{"consented":true},"analytics":{"consented":false}}})"),
                   rules),
            RouteDecision::kConsentGdprMissing);
  EXPECT_EQ(decide(mparticle(R"({"gdpr":{"marketing":{"consented":true}}})"), rules),
            RouteDecision::kConsentGdprMissing)
      << "absent consent is not consent";
  EXPECT_EQ(decide(track("{}"), rules), RouteDecision::kConsentGdprMissing)
      << "a Segment event carries no GDPR consent";
}

}  // namespace
}  // namespace cdp_relay::route
