// `cdp-relay run` as a real child process: a crash (SIGKILL) followed by a
// restart, and a SIGTERM drain (docs/architecture.md "Shutdown"). The mock cluster and
// the emulator live in this test process and listen on loopback TCP, so the
// child reaches them like any remote Kafka and HTTP peer.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <sstream>

#include <iostream>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

int64_t or_zero(int64_t committed) { return committed < 0 ? 0 : committed; }

// The fields of the child's "relay stopped" log line.
std::optional<nlohmann::json> stop_line(const std::string& log) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.value("msg", "") == "relay stopped") return json;
  }
  return std::nullopt;
}

TEST(ProcessIntegrationTest, RestartAfterSigkillLosesNothingAndBoundsDuplicates) {
  TestCluster cluster(4);
  auto emulator = start_emulator();
  TempDir dir;
  const std::string group = "it-crash";
  const auto config = relay_config(cluster, *emulator, group);
  DlqReader dlq(cluster.brokers());

  ProducerThread producer(cluster.brokers(), GeneratorOptions{.seed = 51, .invalid_every = 50},
                          12000, /*per_tick=*/3, 5ms);
  auto first = std::make_unique<ChildRelay>(config, dir, "first");
  // Kill it mid-stream, once it has committed something (auto-commit, 1 s),
  // so that the restart has both committed and uncommitted work to go by.
  ASSERT_TRUE(wait_until(
      [&] {
        if (emulator->accepted_events() < 2000) return false;
        int64_t committed = 0;
        for (const auto& [partition, offset] : cluster.committed(group)) committed += or_zero(offset);
        return committed > 0;
      },
      90s, 100ms))
      << first->log();
  ASSERT_LT(producer.events_produced(), 12000u) << "events must still be flowing";
  first->signal(SIGKILL);
  const auto status = first->wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
  // Requests of the dead child may still be inside the emulator's handlers.
  wait_for_quiet(*emulator);

  // What the dead child got out, and the offsets it had committed.
  std::set<std::string> out_before;
  for (const auto& id : recorded_ids(*emulator)) out_before.insert(id);
  dlq.poll(200ms);
  for (const auto& record : dlq.records()) out_before.insert(record.ids.begin(), record.ids.end());
  const auto committed_at_crash = cluster.committed(group);

  // A new process in the same group; the dead member's partitions come back
  // once its session (6 s) expires.
  ChildRelay second(config, dir, "second");
  ASSERT_TRUE(producer.join());
  const auto produced = producer.messages();
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 120s)) << second.log();
  second.signal(SIGTERM);
  const auto second_status = second.wait(60s);
  ASSERT_TRUE(second_status.has_value()) << second.log();
  EXPECT_TRUE(WIFEXITED(*second_status) && WEXITSTATUS(*second_status) == 0) << second.log();
  dlq.poll(200ms);

  const Accounting result = account(produced, recorded_ids(*emulator), dlq.records());
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.misplaced, 0u) << result.summary();
  EXPECT_EQ(result.unknown, 0u) << result.summary();
  // Redelivery is bounded by what the first process had sent but not yet
  // committed: the events of messages at or past its committed offsets.
  size_t bound = 0;
  for (const auto& message : produced) {
    if (message.offset < or_zero(committed_at_crash.at(message.partition))) continue;
    for (const auto& id : message.ids) bound += out_before.count(id);
  }
  EXPECT_LE(result.duplicates, bound) << result.summary();
  // And nothing below the committed offsets came out twice.
  const size_t duplicated_below_commit = duplicated_below(
      produced, copies_of(recorded_ids(*emulator), dlq.records()), committed_at_crash);
  EXPECT_EQ(duplicated_below_commit, 0u);
  std::cout << "[ crash    ] delivered before the kill: " << out_before.size()
            << ", uncommitted and so redeliverable: " << bound
            << ", duplicates: " << result.duplicates << "\n";
  EXPECT_EQ(cluster.committed(group), cluster.end_offsets());
}

TEST(ProcessIntegrationTest, SigtermDrainsCommitsWhatWasProcessedAndExitsZero) {
  TestCluster cluster(4);
  auto emulator = start_emulator();
  TempDir dir;
  const std::string group = "it-sigterm";
  const auto config = relay_config(cluster, *emulator, group);
  DlqReader dlq(cluster.brokers());

  ProducerThread producer(cluster.brokers(), GeneratorOptions{.seed = 61, .invalid_every = 50},
                          12000, /*per_tick=*/3, 5ms);
  ChildRelay child(config, dir, "relay");
  ASSERT_TRUE(wait_until([&] { return emulator->accepted_events() >= 2000; }, 90s)) << child.log();
  ASSERT_LT(producer.events_produced(), 12000u) << "events must still be flowing";
  child.signal(SIGTERM);
  const auto status = child.wait(60s);
  ASSERT_TRUE(status.has_value()) << child.log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << child.log();
  ASSERT_TRUE(producer.join());
  const auto produced = producer.messages();

  // Below the committed offsets everything is delivered or dead-lettered;
  // at or above them nothing is (it will be, once, after a restart).
  const auto committed = cluster.committed(group);
  std::set<std::string> out;
  for (const auto& id : recorded_ids(*emulator)) out.insert(id);
  dlq.poll(200ms);
  for (const auto& record : dlq.records()) out.insert(record.ids.begin(), record.ids.end());
  size_t unresolved_below = 0, resolved_above = 0;
  int64_t committed_messages = 0;
  for (const auto& [partition, offset] : committed) committed_messages += or_zero(offset);
  for (const auto& message : produced) {
    const bool below = message.offset < or_zero(committed.at(message.partition));
    for (const auto& id : message.ids) {
      if (below && !out.count(id)) ++unresolved_below;
      if (!below && out.count(id)) ++resolved_above;
    }
  }
  EXPECT_GT(committed_messages, 0);
  EXPECT_EQ(unresolved_below, 0u);
  EXPECT_EQ(resolved_above, 0u);

  // The child drained, and what it consumed is exactly what it committed.
  const auto stopped = stop_line(child.log());
  ASSERT_TRUE(stopped.has_value()) << child.log();
  EXPECT_EQ(stopped->value("drained", ""), "true") << child.log();
  EXPECT_EQ(stopped->value("consumed", ""), std::to_string(committed_messages)) << child.log();

  // A restart in the same group picks up exactly where the child stopped.
  RelayRunner restarted(config);
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 120s));
  EXPECT_TRUE(restarted.stop());
  dlq.poll(200ms);
  const Accounting result = account(produced, recorded_ids(*emulator), dlq.records());
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.duplicates, 0u) << result.summary();
  EXPECT_EQ(result.misplaced, 0u) << result.summary();
  EXPECT_EQ(result.unknown, 0u) << result.summary();
  EXPECT_EQ(cluster.committed(group), cluster.end_offsets());
}

}  // namespace
}  // namespace cdp_relay::integration
