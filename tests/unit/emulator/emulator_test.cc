// The Vidora/Spideo emulator over real loopback sockets (port 0): key checks,
// schema validation, recording, every fault-script action and the admin
// endpoints. No sleeps: only the delay test waits, for the delay it asked for.
#include "emulator/emulator.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "support/test_paths.h"

namespace cdp_relay::emulator {
namespace {

using nlohmann::json;

constexpr const char* kKey = "s3cr3t-key";

json event(std::string id, std::string type = "Video Played") {
  return json{{"user_id", "u1"},
              {"type", std::move(type)},
              {"timestamp", 1700000000},
              {"event_id", std::move(id)},
              {"source", "segment"},
              {"video_title", "x"}};
}

std::string batch(std::vector<json> events) { return json{{"data", std::move(events)}}.dump(); }

FaultScript script(std::string_view text) {
  std::string error;
  auto parsed = FaultScript::parse(text, error);
  EXPECT_TRUE(parsed.has_value()) << error;
  return parsed.value_or(FaultScript{});
}

class EmulatorTest : public ::testing::Test {
 protected:
  // Starts an emulator with the test defaults and `tweak` applied.
  void start(const std::function<void(EmulatorOptions&)>& tweak = {}) {
    EmulatorOptions options;
    options.api_key = kKey;
    options.schema_dir = testing::source_path("schemas");
    if (tweak) tweak(options);
    emulator_ = std::make_unique<Emulator>(std::move(options));
    ASSERT_TRUE(emulator_->start()) << emulator_->error();
    ASSERT_GT(emulator_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", emulator_->port());
    client_->set_read_timeout(30, 0);
  }

  void TearDown() override {
    client_.reset();
    if (emulator_) emulator_->stop();
  }

  httplib::Result post_events(const std::string& body, const std::string& key = kKey) {
    return client_->Post(("/v1/events?api_key=" + key).c_str(), body, "application/json");
  }

  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(EmulatorTest, AcceptsAValidBatchAndRecordsEachEvent) {
  start();
  auto res = post_events(batch({event("e1"), event("e2", "pageview")}));
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(json::parse(res->body), json({{"accepted", 2}}));
  EXPECT_EQ(emulator_->accepted_events(), 2u);
  const auto recorded = emulator_->recorded_events();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(json::parse(recorded[0]), event("e1"));
  EXPECT_EQ(recorded[1], event("e2", "pageview").dump());  // compact JSON
  const RequestStats stats = emulator_->stats();
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.by_status.at(200), 1u);
}

TEST_F(EmulatorTest, WrongOrMissingKeyIs401AndNoKeyIsEchoed) {
  start();
  auto wrong = post_events(batch({event("e1")}), "not-the-key");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_EQ(wrong->body.find("not-the-key"), std::string::npos);
  EXPECT_EQ(wrong->body.find(kKey), std::string::npos);
  for (const auto& [name, value] : wrong->headers) {
    EXPECT_EQ(value.find(kKey), std::string::npos) << name;
  }
  auto missing = client_->Post("/v1/events", batch({event("e1")}), "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(emulator_->accepted_events(), 0u);
  EXPECT_EQ(emulator_->stats().by_status.at(401), 2u);
}

TEST_F(EmulatorTest, SchemaViolationsAre400NamingTheEvents) {
  start();
  json nested = event("e2");
  nested["video"] = json{{"title", "x"}};  // custom parameters must be scalars
  json no_user = event("e3");
  no_user.erase("user_id");
  auto res = post_events(batch({event("e1"), nested, no_user, event("e4")}));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  const json body = json::parse(res->body);
  EXPECT_EQ(body["invalid_indexes"], json({1, 2}));
  EXPECT_TRUE(body["error"].is_string());

  auto empty = post_events(R"({"data":[]})");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400);
  EXPECT_FALSE(json::parse(empty->body).contains("invalid_indexes"));  // names no event

  auto not_json = post_events(R"({"data":[)");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);

  json upper = event("e5");
  upper["VideoTitle"] = "x";  // keys are lower snake_case
  auto bad_key = post_events(batch({upper}));
  ASSERT_TRUE(bad_key);
  EXPECT_EQ(bad_key->status, 400);
  EXPECT_EQ(json::parse(bad_key->body)["invalid_indexes"], json::array({0}));  // json({0}) is null under clang

  EXPECT_EQ(emulator_->accepted_events(), 0u);  // nothing of a failed request is recorded
}

TEST_F(EmulatorTest, BodiesAboveMaxBytesAre413) {
  start([](EmulatorOptions& o) { o.max_body_bytes = 200; });
  json big = event("e1");
  big["padding"] = std::string(300, 'x');
  auto res = post_events(batch({big}));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(emulator_->accepted_events(), 0u);
}

TEST_F(EmulatorTest, ScriptReturns429WithRetryAfterForAWindowOfRequests) {
  start([](EmulatorOptions& o) {
    o.script = script(R"({"rules": [{"match": {"from_request": 2, "count": 2},
                                      "action": {"status": 429, "retry_after": "7"}}]})");
  });
  std::vector<int> statuses;
  for (int i = 0; i < 4; ++i) {
    auto res = post_events(batch({event("e" + std::to_string(i))}));
    ASSERT_TRUE(res);
    statuses.push_back(res->status);
    if (res->status == 429) {
      EXPECT_EQ(res->get_header_value("Retry-After"), "7");
    } else {
      EXPECT_FALSE(res->has_header("Retry-After"));
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 429, 429, 200}));
  EXPECT_EQ(emulator_->accepted_events(), 2u);
}

TEST_F(EmulatorTest, ScriptReturns5xxDuringATimeWindow) {
  ManualClock clock;
  start([&clock](EmulatorOptions& o) {
    o.clock = &clock;
    o.script = script(R"({"rules": [{"match": {"from_s": 10, "until_s": 20},
                                      "action": {"status": 503}}]})");
  });
  auto status_now = [this] {
    auto res = post_events(batch({event("e")}));
    return res ? res->status : -1;
  };
  EXPECT_EQ(status_now(), 200);
  clock.advance(std::chrono::seconds(10));
  EXPECT_EQ(status_now(), 503);
  clock.advance(std::chrono::seconds(9));
  EXPECT_EQ(status_now(), 503);
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(status_now(), 200);
}

TEST_F(EmulatorTest, ProbabilityRulesReplayIdenticallyForTheSameSeed) {
  const char* text = R"({"seed": 7, "rules": [{"match": {"probability": 0.5},
                                               "action": {"status": 503}}]})";
  auto run = [&] {
    start([&](EmulatorOptions& o) { o.script = script(text); });
    std::vector<int> statuses;
    for (int i = 0; i < 20; ++i) {
      auto res = post_events(batch({event("e")}));
      statuses.push_back(res ? res->status : -1);
    }
    TearDown();
    return statuses;
  };
  const auto first = run();
  EXPECT_EQ(first, run());
  EXPECT_NE(std::count(first.begin(), first.end(), 503), 0);
  EXPECT_NE(std::count(first.begin(), first.end(), 200), 0);
}

TEST_F(EmulatorTest, RejectEventsWhereNamesOnlyThoseEventsAndRecordsNothing) {
  start([](EmulatorOptions& o) {
    o.script = script(R"({"rules": [{"action": {"reject_events_where":
                                      {"field": "type", "equals": "poison"}}}]})");
  });
  auto res = post_events(
      batch({event("e0"), event("e1", "poison"), event("e2"), event("e3", "poison")}));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(json::parse(res->body)["invalid_indexes"], json({1, 3}));
  EXPECT_EQ(emulator_->accepted_events(), 0u);

  auto clean = post_events(batch({event("e0"), event("e2")}));  // the bisected good half
  ASSERT_TRUE(clean);
  EXPECT_EQ(clean->status, 200);
  EXPECT_EQ(emulator_->accepted_events(), 2u);
}

TEST_F(EmulatorTest, DelayRespondsAfterTheDelay) {
  start([](EmulatorOptions& o) {
    o.script = script(R"({"rules": [{"match": {"count": 1}, "action": {"delay_ms": 300}}]})");
  });
  const auto started = std::chrono::steady_clock::now();
  auto res = post_events(batch({event("e1")}));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);  // delay only, then normal behaviour
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
  EXPECT_EQ(emulator_->accepted_events(), 1u);
}

TEST_F(EmulatorTest, StopInterruptsAHangingRequest) {
  start([](EmulatorOptions& o) {
    o.script = script(R"({"rules": [{"action": {"delay_ms": 600000}}]})");
  });
  std::thread hanging([port = emulator_->port()] {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(600, 0);
    client.Post("/v1/events?api_key=x", "{}", "application/json");
  });
  // Wait until the request is being served (counted), then stop.
  while (emulator_->stats().requests == 0) std::this_thread::yield();
  emulator_->stop();
  hanging.join();
}

TEST_F(EmulatorTest, ResetClosesTheConnectionWithoutAResponse) {
  start([](EmulatorOptions& o) {
    o.script = script(R"({"rules": [{"match": {"count": 1}, "action": {"reset": true}}]})");
  });
  auto res = post_events(batch({event("e1")}));
  EXPECT_FALSE(res);
  EXPECT_NE(res.error(), httplib::Error::Success);
  EXPECT_EQ(emulator_->stats().resets, 1u);
  EXPECT_EQ(emulator_->accepted_events(), 0u);

  auto next = post_events(batch({event("e2")}));  // the client reconnects
  ASSERT_TRUE(next) << httplib::to_string(next.error());
  EXPECT_EQ(next->status, 200);
}

TEST_F(EmulatorTest, SpideoRequestsAreRecordedWithDecodedSegments) {
  start();
  auto res = client_->Put(
      "/api/users/user%2F42%20x/interactions/play/asset%3A9?apikey=s3cr3t-key&origin=home", "",
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  auto property = client_->Put("/api/users/u7/properties/sports_fans?apikey=s3cr3t-key",
                               R"({"value":true})", "application/json");
  ASSERT_TRUE(property);
  EXPECT_EQ(property->status, 204);
  auto wrong = client_->Put("/api/users/u/interactions/play/c?apikey=nope", "", "text/plain");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);

  const auto recorded = emulator_->recorded_events();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(json::parse(recorded[0]),
            json::parse(R"({"spideo":{"method":"PUT","user":"user/42 x","interaction":"play",
                                      "content_id":"asset:9","params":{"origin":"home"}}})"));
  EXPECT_EQ(json::parse(recorded[1]),
            json::parse(R"({"spideo":{"method":"PUT","user":"u7","property":"sports_fans",
                                      "body":{"value":true}}})"));
}

TEST_F(EmulatorTest, SpideoPrefixIsConfigurableAndUnknownPathsAre404) {
  start([](EmulatorOptions& o) { o.spideo_prefix = "/acme/api"; });
  auto res = client_->Post("/acme/api/users/u/interactions/click/p1?apikey=s3cr3t-key", "{}",
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  auto other = client_->Put("/api/users/u/interactions/click/p1?apikey=s3cr3t-key", "{}",
                            "application/json");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
}

TEST_F(EmulatorTest, AdminEndpointChangesTheKey) {
  start([](EmulatorOptions& o) { o.api_key = "old-key"; });
  EXPECT_EQ(post_events(batch({event("e1")}), "new-key")->status, 401);
  auto changed = client_->Post("/_emulator/api_key", "new-key\n", "text/plain");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 204);
  EXPECT_TRUE(changed->body.empty());
  EXPECT_EQ(post_events(batch({event("e1")}), "new-key")->status, 200);
  EXPECT_EQ(post_events(batch({event("e2")}), "old-key")->status, 401);
}

TEST_F(EmulatorTest, AdminEndpointsInstallScriptsAndReportStats) {
  start();
  auto rejected = client_->Post("/_emulator/script", R"({"rules": [{"action": {"status": 9}}]})",
                                "application/json");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 400);
  EXPECT_NE(rejected->body.find("rules[0].action.status"), std::string::npos);

  EXPECT_EQ(post_events(batch({event("e1")}))->status, 200);
  auto installed = client_->Post(
      "/_emulator/script", R"({"rules": [{"match": {"count": 1}, "action": {"status": 500}}]})",
      "application/json");
  ASSERT_TRUE(installed);
  EXPECT_EQ(installed->status, 204);
  // The new script's request counter starts at its installation.
  EXPECT_EQ(post_events(batch({event("e2")}))->status, 500);
  EXPECT_EQ(post_events(batch({event("e3")}))->status, 200);

  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto stats = client_->Get("/_emulator/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(json::parse(stats->body),
            json::parse(R"({"requests":3,"by_status":{"200":2,"500":1},"resets":0,
                            "accepted_events":2})"));
  auto events = client_->Get("/_emulator/events");
  ASSERT_TRUE(events);
  EXPECT_EQ(events->body, event("e1").dump() + "\n" + event("e3").dump() + "\n");
}

TEST_F(EmulatorTest, RecordFileGetsOneFlushedLinePerEvent) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("emulator-record-" + std::to_string(::getpid()) + ".jsonl"))
                               .string();
  std::filesystem::remove(path);
  start([&path](EmulatorOptions& o) { o.record_file = path; });
  ASSERT_EQ(post_events(batch({event("e1"), event("e2")}))->status, 200);
  ASSERT_EQ(post_events(batch({event("e3")}))->status, 200);
  // Readable while the emulator still runs: every batch is flushed.
  EXPECT_EQ(testing::read_file(path),
            event("e1").dump() + "\n" + event("e2").dump() + "\n" + event("e3").dump() + "\n");
  std::filesystem::remove(path);
}

TEST(EmulatorStartTest, FailsCleanlyWithoutSchemas) {
  EmulatorOptions options;
  options.api_key = kKey;
  options.schema_dir = "/nonexistent";
  Emulator emulator(std::move(options));
  EXPECT_FALSE(emulator.start());
  EXPECT_NE(emulator.error().find("vidora-request.schema.json"), std::string::npos);
}

}  // namespace
}  // namespace cdp_relay::emulator
