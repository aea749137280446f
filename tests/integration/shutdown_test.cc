// Shutdown when in-flight work cannot drain (DESIGN.md §5 "Shutdown"): the
// destination answers 503 to everything, so on SIGTERM the relay still holds
// undelivered events when its grace period runs out. It must exit anyway,
// promptly, without committing past what it did not deliver.
//
// The relay keeps consumed librdkafka messages (not copies) while their
// outputs are pending, and librdkafka's rd_kafka_destroy() blocks for as long
// as any message of the handle is alive: this test fails (the child never
// exits) if those messages are not released before the consumer is destroyed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

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

}  // namespace
}  // namespace cdp_relay::integration
