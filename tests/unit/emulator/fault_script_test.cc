// FaultScript: parsing (errors name their key path) and rule matching, with a
// scripted random source so probability rules are deterministic.
#include "emulator/fault_script.h"

#include <gtest/gtest.h>

#include <deque>
#include <sstream>

#include "support/test_paths.h"

namespace cdp_relay::emulator {
namespace {

using std::chrono::milliseconds;

class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(std::deque<double> values) : values_(std::move(values)) {}
  double uniform() override {
    ++draws;
    const double value = values_.front();
    values_.pop_front();
    return value;
  }
  int draws = 0;

 private:
  std::deque<double> values_;
};

FaultScript parse_ok(std::string_view text) {
  std::string error;
  auto script = FaultScript::parse(text, error);
  EXPECT_TRUE(script.has_value()) << error;
  return script.value_or(FaultScript{});
}

std::string parse_error(std::string_view text) {
  std::string error;
  auto script = FaultScript::parse(text, error);
  EXPECT_FALSE(script.has_value());
  return error;
}

FaultRequest request(uint64_t number, milliseconds elapsed = milliseconds(0),
                     std::string_view path = "/v1/events", const nlohmann::json* events = nullptr) {
  FaultRequest r;
  r.path = path;
  r.request_number = number;
  r.elapsed = elapsed;
  r.events = events;
  return r;
}

TEST(FaultScriptTest, ParsesEveryField) {
  FaultScript script = parse_ok(R"({
    "seed": 42,
    "rules": [
      {"match": {"path_prefix": "/v1", "from_request": 3, "count": 2, "from_s": 1.5,
                 "until_s": 20, "probability": 0.25},
       "action": {"status": 429, "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT",
                  "body": {"error": "slow down"}, "delay_ms": 10}},
      {"action": {"reset": true}},
      {"action": {"reject_events_where": [{"field": "type", "equals": "poison"},
                                          {"field": "n", "equals": 7}]}},
      {"action": {"status": 503, "retry_after": 2}}
    ]})");
  EXPECT_EQ(script.seed, 42u);
  ASSERT_EQ(script.rules.size(), 4u);
  const FaultRule& first = script.rules[0];
  EXPECT_EQ(first.match.path_prefix, "/v1");
  EXPECT_EQ(first.match.from_request, 3u);
  EXPECT_EQ(first.match.count, 2u);
  EXPECT_DOUBLE_EQ(*first.match.from_s, 1.5);
  EXPECT_DOUBLE_EQ(*first.match.until_s, 20);
  EXPECT_DOUBLE_EQ(*first.match.probability, 0.25);
  EXPECT_EQ(first.action.status, 429);
  EXPECT_EQ(first.action.retry_after, "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(first.action.body, R"({"error":"slow down"})");
  EXPECT_EQ(first.action.delay, milliseconds(10));
  EXPECT_TRUE(script.rules[1].action.reset);
  ASSERT_EQ(script.rules[2].action.reject_events_where.size(), 2u);
  EXPECT_EQ(script.rules[2].action.reject_events_where[1].equals, 7);
  EXPECT_EQ(script.rules[3].action.retry_after, "2");
}

TEST(FaultScriptTest, EmptyScriptIsValid) {
  EXPECT_TRUE(parse_ok("{}").empty());
  EXPECT_TRUE(parse_ok(R"({"rules": []})").empty());
}

TEST(FaultScriptTest, ErrorsNameTheKeyPath) {
  EXPECT_EQ(parse_error("not json"), "script: invalid JSON");
  EXPECT_EQ(parse_error(R"({"rulez": []})"), "script.rulez: unknown key");
  EXPECT_EQ(parse_error(R"({"rules": [{"match": {}}]})"), "rules[0].action: is required");
  EXPECT_EQ(parse_error(R"({"rules": [{"action": {}}, {"action": {"status": 700}}]})"),
            "rules[1].action.status: must be an HTTP status (100..599)");
  EXPECT_EQ(parse_error(R"({"rules": [{"match": {"probability": 1.5}, "action": {}}]})"),
            "rules[0].match.probability: must be a number in [0, 1]");
  EXPECT_EQ(parse_error(R"({"rules": [{"match": {"from_request": 0}, "action": {}}]})"),
            "rules[0].match.from_request: must be an integer >= 1");
  EXPECT_EQ(parse_error(R"({"rules": [{"action": {"delay": 5}}]})"),
            "rules[0].action.delay: unknown key");
  EXPECT_EQ(
      parse_error(R"({"rules": [{"action": {"reject_events_where": {"field": "type"}}}]})"),
      "rules[0].action.reject_events_where.equals: is required");
}

TEST(FaultScriptTest, RequestWindowCountsFromFromRequest) {
  FaultScript script =
      parse_ok(R"({"rules": [{"match": {"from_request": 2, "count": 2}, "action": {"status": 429}}]})");
  ScriptedRandom random({});
  EXPECT_EQ(script.decide(request(1), random).rule, nullptr);
  EXPECT_NE(script.decide(request(2), random).rule, nullptr);
  EXPECT_NE(script.decide(request(3), random).rule, nullptr);
  EXPECT_EQ(script.decide(request(4), random).rule, nullptr);
}

TEST(FaultScriptTest, TimeWindowIsHalfOpen) {
  FaultScript script =
      parse_ok(R"({"rules": [{"match": {"from_s": 10, "until_s": 20}, "action": {"status": 503}}]})");
  ScriptedRandom random({});
  EXPECT_EQ(script.decide(request(1, milliseconds(9999)), random).rule, nullptr);
  EXPECT_NE(script.decide(request(1, milliseconds(10000)), random).rule, nullptr);
  EXPECT_NE(script.decide(request(1, milliseconds(19999)), random).rule, nullptr);
  EXPECT_EQ(script.decide(request(1, milliseconds(20000)), random).rule, nullptr);
}

TEST(FaultScriptTest, FirstMatchingRuleWinsAndPathPrefixFilters) {
  FaultScript script = parse_ok(R"({"rules": [
      {"match": {"path_prefix": "/api/"}, "action": {"status": 500}},
      {"action": {"status": 502}},
      {"action": {"status": 503}}]})");
  ScriptedRandom random({});
  EXPECT_EQ(script.decide(request(1, milliseconds(0), "/api/users/u"), random).rule->action.status,
            500);
  EXPECT_EQ(script.decide(request(1), random).rule->action.status, 502);
}

TEST(FaultScriptTest, ProbabilityIsDrawnOnlyWhenOtherConditionsHold) {
  FaultScript script = parse_ok(R"({"rules": [
      {"match": {"from_request": 2, "probability": 0.5}, "action": {"status": 503}}]})");
  ScriptedRandom random({0.7, 0.2});
  EXPECT_EQ(script.decide(request(1), random).rule, nullptr);
  EXPECT_EQ(random.draws, 0);
  EXPECT_EQ(script.decide(request(2), random).rule, nullptr);  // 0.7 >= 0.5
  EXPECT_NE(script.decide(request(3), random).rule, nullptr);  // 0.2 < 0.5
  EXPECT_EQ(random.draws, 2);
}

TEST(FaultScriptTest, RejectRuleMatchesOnlyRequestsWithMatchingEvents) {
  FaultScript script = parse_ok(R"({"rules": [
      {"action": {"reject_events_where": {"field": "event_id", "equals": "bad"}}},
      {"action": {"status": 202}}]})");
  ScriptedRandom random({});
  const nlohmann::json with_bad = nlohmann::json::parse(
      R"([{"event_id": "a"}, {"event_id": "bad"}, 3, {"event_id": "bad"}])");
  FaultDecision decision = script.decide(request(1, milliseconds(0), "/v1/events", &with_bad), random);
  ASSERT_NE(decision.rule, nullptr);
  EXPECT_EQ(decision.rule, &script.rules[0]);
  EXPECT_EQ(decision.rejected_indexes, (std::vector<size_t>{1, 3}));

  const nlohmann::json clean = nlohmann::json::parse(R"([{"event_id": "a"}])");
  EXPECT_EQ(script.decide(request(2, milliseconds(0), "/v1/events", &clean), random).rule,
            &script.rules[1]);
  EXPECT_EQ(script.decide(request(3), random).rule, &script.rules[1]);  // no events at all
}

// Every ```json block of docs/emulator.md is a valid script, so the docs
// cannot drift from the parser.
TEST(FaultScriptTest, DocumentedExamplesParse) {
  std::istringstream doc(testing::read_file(testing::source_path("docs/emulator.md")));
  int blocks = 0;
  std::string line;
  while (std::getline(doc, line)) {
    if (line != "```json") continue;
    std::string block;
    while (std::getline(doc, line) && line != "```") block += line + "\n";
    parse_ok(block);
    ++blocks;
  }
  EXPECT_GE(blocks, 6);
}

}  // namespace
}  // namespace cdp_relay::emulator
