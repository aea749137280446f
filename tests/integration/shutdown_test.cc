// Shutdown when in-flight work cannot drain (docs/architecture.md "Shutdown"): the
// destination answers 503 to everything, so on SIGTERM the relay still holds
// undelivered events when its grace period runs out. It must exit anyway,
// promptly, without committing past what it did not deliver.
//
// The relay keeps consumed librdkafka messages (not copies) while their
// outputs are pending, and librdkafka's rd_kafka_destroy() blocks for as long
// as any message of the handle is alive: this test fails (the child never
// exits) if those messages are not released before the consumer is destroyed.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include <sstream>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

TEST(ShutdownIntegrationTest, GraceExpiryWithUndeliveredEventsExitsWithoutCommittingThem) {
  TestCluster cluster(2);
  auto emulator = start_emulator();
  emulator->set_script(script(R"({"rules":[{"match":{"path_prefix":"/v1/events"},"action":{"status":503}}]})"));
  TempDir dir;
  const std::string group = "it-grace-expiry";
  auto config = relay_config(cluster, *emulator, group);
  config.shutdown_grace_s = 1;
  config.vidora.retry.max_retry_duration_s = 3600;  // never gives up: nothing reaches the DLQ

  EventGenerator generator(GeneratorOptions{.seed = 91});
  const auto produced = produce_events(cluster.brokers(), generator, 300);
  ChildRelay child(config, dir, "relay");
  // The relay has consumed and tried: the emulator saw 503s.
  ASSERT_TRUE(wait_until([&] { return status_count(*emulator, 503) >= 3; }, 60s)) << child.log();

  child.signal(SIGTERM);
  // Grace (1 s) + leaving the group; far below this bound unless it hangs.
  const auto status = child.wait(30s);
  ASSERT_TRUE(status.has_value()) << "relay did not exit after its grace period\n" << child.log();
  EXPECT_TRUE(WIFEXITED(*status)) << child.log();
  EXPECT_EQ(emulator->accepted_events(), 0u);
  // Nothing was delivered, so nothing may be committed.
  for (const auto& [partition, offset] : cluster.committed(group)) {
    EXPECT_LE(offset, 0) << "partition " << partition;
  }
  (void)produced;
}

// The brokers become unreachable while the relay is idle in its group; then
// SIGTERM. A commit and a group leave that can never be answered must not
// hold the process past its grace period: it gives up on them, says so, and
// exits. Meanwhile librdkafka complains about the lost brokers, and those
// lines too are JSON (every stderr line is one JSON object).
TEST(ShutdownIntegrationTest, BrokersDownWhileIdleExitsWithinGraceAndSaysTheCommitWasNotMade) {
  TestCluster cluster(2);
  auto emulator = start_emulator();
  TempDir dir;
  auto config = relay_config(cluster, *emulator, "it-brokers-down");
  config.shutdown_grace_s = 3;

  EventGenerator generator(GeneratorOptions{.seed = 17});
  const auto produced = produce_events(cluster.brokers(), generator, 50);
  ChildRelay child(config, dir, "relay");
  ASSERT_TRUE(wait_until([&] { return emulator->accepted_events() > 0; }, 60s)) << child.log();
  wait_for_quiet(*emulator);  // idle: everything delivered

  cluster.set_all_brokers_up(false);
  std::this_thread::sleep_for(2s);  // the relay notices: librdkafka logs its failures
  const auto signalled = std::chrono::steady_clock::now();
  child.signal(SIGTERM);
  const auto status = child.wait(60s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  ASSERT_TRUE(status.has_value()) << "relay still running 60 s after SIGTERM\n" << child.log();
  // Grace, plus librdkafka's handle teardown and the process exit.
  EXPECT_LT(took, std::chrono::seconds(config.shutdown_grace_s) + 3s)
      << "exited only after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n"
      << child.log();
  EXPECT_TRUE(WIFEXITED(*status)) << child.log();

  const std::string log = child.log();
  bool commit_not_made = false, librdkafka_line = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(json.is_object()) << "not one JSON object: " << line;
    const std::string msg = json.value("msg", "");
    if (msg.find("commit") != std::string::npos && msg.find("not made") != std::string::npos) {
      commit_not_made = true;
    }
    if (msg.rfind("librdkafka ", 0) == 0 && json.contains("client") && json.contains("facility")) {
      librdkafka_line = true;
    }
  }
  EXPECT_TRUE(commit_not_made) << "no warning that the commit was not made\n" << log;
  EXPECT_TRUE(librdkafka_line) << "no librdkafka line in the JSON log\n" << log;
  (void)produced;
}

}  // namespace
}  // namespace cdp_relay::integration
