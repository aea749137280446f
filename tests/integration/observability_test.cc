// The admin server of a running relay: /readyz follows the destination's
// health (401, an open circuit) and recovers; no secret ever reaches a log
// line, a metric or a DLQ header, while errors are being logged.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include <sstream>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

int readyz_status(int port) {
  auto reply = http_get(port, "/readyz");
  return reply ? reply->status : -1;
}

std::string readyz_body(int port) {
  auto reply = http_get(port, "/readyz");
  return reply ? reply->body : "<no answer>";
}

bool metrics_contain(int port, const std::string& line) {
  auto reply = http_get(port, "/metrics");
  return reply && reply->body.find(line) != std::string::npos;
}

TEST(ObservabilityIntegrationTest, ReadyzIsUnavailableWhileTheDestinationAnswers401) {
  TestCluster cluster(3);
  auto emulator = start_emulator("the-key-the-relay-does-not-have-yet");
  auto config = relay_config(cluster, *emulator, "it-readyz-auth");
  config.vidora.retry.auth_hold_ms = 200;
  DlqReader dlq(cluster.brokers());
  RelayRunner relay(config);
  const int port = relay.admin_port();

  // Ready once in the group, before any traffic.
  ASSERT_TRUE(wait_until([&] { return readyz_status(port) == 200; }, 30s, 50ms)) << readyz_body(port);
  EXPECT_EQ(http_get(port, "/healthz")->status, 200);

  EventGenerator generator(GeneratorOptions{.seed = 71});
  const auto produced = produce_events(cluster.brokers(), generator, 300);
  ASSERT_TRUE(wait_until([&] { return readyz_status(port) == 503; }, 30s, 50ms));
  const auto body = nlohmann::json::parse(readyz_body(port));
  EXPECT_EQ(body["status"], "unavailable");
  EXPECT_NE(body.dump().find("vidora: the destination rejects the credentials"), std::string::npos)
      << body.dump();
  EXPECT_TRUE(metrics_contain(port, "cdp_relay_auth_failing{destination=\"vidora\"} 1"));
  EXPECT_TRUE(metrics_contain(port, "cdp_relay_ready 0"));
  EXPECT_EQ(http_get(port, "/healthz")->status, 200) << "alive, just not ready";

  // The operator fixes the key: held events go out, readiness comes back.
  emulator->set_api_key(kApiKey);
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));
  ASSERT_TRUE(wait_until([&] { return readyz_status(port) == 200; }, 30s, 50ms)) << readyz_body(port);
  EXPECT_TRUE(metrics_contain(port, "cdp_relay_auth_failing{destination=\"vidora\"} 0"));
  EXPECT_TRUE(metrics_contain(port, "cdp_relay_ready 1"));
  EXPECT_TRUE(relay.stop());
}

TEST(ObservabilityIntegrationTest, ReadyzIsUnavailableWhileTheCircuitStaysOpenTooLong) {
  TestCluster cluster(3);
  auto emulator = start_emulator();
  auto config = relay_config(cluster, *emulator, "it-readyz-circuit");
  config.admin.max_circuit_open_s = 1;
  DlqReader dlq(cluster.brokers());
  RelayRunner relay(config);
  const int port = relay.admin_port();
  ASSERT_TRUE(wait_until([&] { return readyz_status(port) == 200; }, 30s, 50ms)) << readyz_body(port);

  emulator->set_script(script(R"({"rules":[{"match":{"path_prefix":"/v1/events"},
                                            "action":{"status":503}}]})"));
  EventGenerator generator(GeneratorOptions{.seed = 72});
  const auto produced = produce_events(cluster.brokers(), generator, 300);
  ASSERT_TRUE(wait_until([&] { return readyz_status(port) == 503; }, 30s, 50ms));
  EXPECT_NE(readyz_body(port).find("vidora: circuit open for"), std::string::npos)
      << readyz_body(port);
  EXPECT_TRUE(metrics_contain(port, "cdp_relay_circuit_open{destination=\"vidora\"} 1"));

  emulator->set_script(emulator::FaultScript{});
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 90s));
  ASSERT_TRUE(wait_until([&] { return readyz_status(port) == 200; }, 30s, 50ms)) << readyz_body(port);
  EXPECT_TRUE(metrics_contain(port, "cdp_relay_circuit_open{destination=\"vidora\"} 0"));
  EXPECT_TRUE(relay.stop());
}

// The rule: "No secret (API key, signature) ever appears in a header, a
// log line or a metric." A child relay with a distinctive key meets 401s and
// 500s (so errors are logged and events dead-lettered, with debug logging on);
// then its stderr, its /metrics and every DLQ header are searched for the key.
TEST(ObservabilityIntegrationTest, NoSecretInLogsMetricsOrDeadLetterHeaders) {
  const std::string secret = "sEcReT-k3y-7f1d0c9a";
  TestCluster cluster(2);
  auto emulator = start_emulator(secret);
  emulator->set_script(script(R"({"rules":[
      {"match":{"path_prefix":"/v1/events","from_request":1,"count":3},"action":{"status":401}},
      {"match":{"path_prefix":"/v1/events"},"action":{"status":500,"body":"{\"error\":\"boom\"}"}}]})"));
  TempDir dir;
  auto config = relay_config(cluster, *emulator, "it-no-secret");
  config.vidora.api_key = secret;
  config.vidora.retry.auth_hold_ms = 100;
  config.vidora.retry.max_retry_duration_s = 1;
  config.log_level = obs::LogLevel::kDebug;
  DlqReader dlq(cluster.brokers());
  ChildRelay child(config, dir, "secret");

  EventGenerator generator(GeneratorOptions{.seed = 73});
  const auto produced = produce_events(cluster.brokers(), generator, 60);
  size_t ids = 0;
  for (const auto& message : produced) ids += message.ids.size();
  // Every event ends in the DLQ (retries_exhausted after the 500s).
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 90s)) << child.log();
  EXPECT_EQ(emulator->accepted_events(), 0u);

  // The child's admin port, from its "admin server listening" line.
  int port = -1;
  std::istringstream lines(child.log());
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.value("msg", "") == "admin server listening") {
      port = std::stoi(json.value("port", "-1"));
    }
  }
  ASSERT_GT(port, 0) << child.log();
  const auto metrics = http_get(port, "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("cdp_relay_http_requests_total{code=\"401\",destination=\"vidora\"}"),
            std::string::npos);
  EXPECT_EQ(metrics->body.find(secret), std::string::npos);

  child.signal(SIGTERM);
  const auto status = child.wait(60s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << child.log();

  const std::string log = child.log();
  // The scenario did log errors, so the search below means something.
  EXPECT_NE(log.find("destination rejects the credentials"), std::string::npos) << log;
  EXPECT_NE(log.find("destination answered an error status"), std::string::npos) << log;
  EXPECT_NE(log.find("event dead-lettered"), std::string::npos) << log;
  EXPECT_EQ(log.find(secret), std::string::npos) << log;
  EXPECT_EQ(log.find("api_key="), std::string::npos) << log;

  dlq.poll(200ms);
  ASSERT_GE(dlq.records().size(), produced.size());
  for (const auto& record : dlq.records()) {
    for (const auto& [name, value] : record.headers) {
      EXPECT_EQ(value.find(secret), std::string::npos) << name << ": " << value;
      EXPECT_EQ(value.find("api_key="), std::string::npos) << name << ": " << value;
    }
    EXPECT_EQ(record.value.find(secret), std::string::npos);
  }
  (void)ids;
}

}  // namespace
}  // namespace cdp_relay::integration
