// The Kafka side misbehaving: brokers going away, and a consumer group whose
// membership changes under load (docs/architecture.md "Rebalance").
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

TEST(KafkaFaultsIntegrationTest, AllBrokersDownAndBackUpLosesNothing) {
  TestCluster cluster(4);
  auto emulator = start_emulator();
  const std::string group = "it-broker-down";
  RelayRunner relay(relay_config(cluster, *emulator, group));
  DlqReader dlq(cluster.brokers());

  // Some invalid events too, so the DLQ producer is busy across the outage.
  EventGenerator warmup(GeneratorOptions{.seed = 31, .invalid_every = 40});
  auto produced = produce_events(cluster.brokers(), warmup, 300);
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));

  ProducerThread producer(cluster.brokers(), GeneratorOptions{.seed = 32, .invalid_every = 40},
                          3000, /*per_tick=*/5, 5ms, /*first_id=*/1'000'000);
  ASSERT_TRUE(wait_until([&] { return producer.events_produced() >= 600; }, 30s));
  const auto committed_before = cluster.committed(group);
  cluster.set_all_brokers_up(false);
  // The outage lasts 3 s: shorter than session.timeout.ms (6 s).
  std::this_thread::sleep_for(3s);
  cluster.set_all_brokers_up(true);
  ASSERT_TRUE(producer.join());
  auto more = producer.messages();
  produced.insert(produced.end(), more.begin(), more.end());

  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 120s));
  EXPECT_TRUE(relay.stop());
  dlq.poll(100ms);
  const Accounting result = account(produced, recorded_ids(*emulator), dlq.records());
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.misplaced, 0u) << result.summary();
  EXPECT_EQ(result.unknown, 0u) << result.summary();
  // The outage plus librdkafka's reconnect backoff can outlast the session
  // (6 s): the assignment is then lost, uncommitted work is redelivered
  // (at-least-once). Work committed before the outage never is.
  EXPECT_EQ(duplicated_below(produced, copies_of(recorded_ids(*emulator), dlq.records()),
                             committed_before),
            0u);
  std::cout << "[ outage   ] duplicates after the broker outage: " << result.duplicates << "\n";
  for (const auto& record : dlq.records()) {
    EXPECT_EQ(record.header("cdp.error.reason"), "missing_identity");
  }
  EXPECT_EQ(cluster.committed(group), cluster.end_offsets());
}

TEST(KafkaFaultsIntegrationTest, TwoRelaysShareTheGroupAndTheSurvivorTakesOver) {
  TestCluster cluster(6);
  auto emulator = start_emulator();
  const std::string group = "it-two-members";
  const auto config = relay_config(cluster, *emulator, group);
  DlqReader dlq(cluster.brokers());

  auto first = std::make_unique<RelayRunner>(config);
  ProducerThread producer(cluster.brokers(), GeneratorOptions{.seed = 41}, 12000,
                          /*per_tick=*/4, 5ms);
  ASSERT_TRUE(wait_until([&] { return first->counters().messages_consumed.load() > 0; }, 60s));

  // A second member joins while events flow: the group rebalances and it
  // gets a share of the partitions.
  const auto committed_before = cluster.committed(group);
  RelayRunner second(config);
  ASSERT_TRUE(wait_until([&] { return second.counters().messages_consumed.load() > 0; }, 60s))
      << "the second member never got partitions";

  // The first member leaves gracefully: it drains and commits, and the
  // survivor takes its partitions over.
  EXPECT_TRUE(first->stop());
  const uint64_t first_consumed = first->counters().messages_consumed.load();
  EXPECT_GT(first_consumed, 0u);
  first.reset();

  ASSERT_TRUE(producer.join());
  auto produced = producer.messages();
  // A tail on every partition that only the survivor can deliver.
  EventGenerator tail_generator(GeneratorOptions{.seed = 42}, /*first_id=*/2'000'000);
  for (int32_t p = 0; p < cluster.partitions(); ++p) {
    std::vector<ProducedMessage> tail;
    for (int i = 0; i < 10; ++i) tail.push_back(tail_generator.next());
    auto acked = produce_all(cluster.brokers(), std::move(tail), p);
    produced.insert(produced.end(), acked.begin(), acked.end());
  }

  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 120s));
  EXPECT_TRUE(second.stop());
  dlq.poll(100ms);
  const Accounting result = account(produced, recorded_ids(*emulator), dlq.records());
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.misplaced, 0u) << result.summary();
  EXPECT_EQ(result.unknown, 0u) << result.summary();
  // A hand-over drains and commits before releasing, but the mock
  // coordinator refuses commits while the group is re-joining
  // (REBALANCE_IN_PROGRESS), and then the new owner redelivers from the last
  // commit that succeeded (at-least-once). What was committed before the
  // second member joined is never redelivered.
  EXPECT_EQ(duplicated_below(produced, copies_of(recorded_ids(*emulator), dlq.records()),
                             committed_before),
            0u);
  std::cout << "[ handover ] duplicates after the rebalances: " << result.duplicates << "\n";
  EXPECT_GE(first_consumed + second.counters().messages_consumed.load(), produced.size());
  EXPECT_EQ(cluster.committed(group), cluster.end_offsets());
}

// The value of an unlabelled counter in a /metrics text, or -1 if absent.
double counter_value(int port, const std::string& name) {
  auto reply = http_get(port, "/metrics");
  if (!reply) return -1;
  std::istringstream lines(reply->body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

TEST(KafkaFaultsIntegrationTest, RefusedOffsetCommitsAreCountedAndRetried) {
  TestCluster cluster(3);
  auto emulator = start_emulator();
  const std::string group = "it-commit-refused";
  RelayRunner relay(relay_config(cluster, *emulator, group));
  DlqReader dlq(cluster.brokers());
  const int port = relay.admin_port();
  const std::string metric = "cdp_relay_offset_commit_failures_total";
  ASSERT_TRUE(wait_until([&] { return counter_value(port, metric) == 0; }, 30s, 50ms));

  // The coordinator refuses the next three OffsetCommit requests (API key 8)
  // with a non-retriable error; nothing has been stored yet, so these are
  // the first commits the relay sends.
  const rd_kafka_resp_err_t refusal = RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE;
  rd_kafka_mock_push_request_errors(cluster.handle(), 8, 3, refusal, refusal, refusal);
  EventGenerator generator(GeneratorOptions{.seed = 51});
  const auto produced = produce_events(cluster.brokers(), generator, 200);
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));

  // Counted, and not fatal: the offsets stay stored and a later commit
  // succeeds, so the group catches up with the log.
  ASSERT_TRUE(wait_until([&] { return counter_value(port, metric) >= 3; }, 30s, 100ms))
      << counter_value(port, metric);
  ASSERT_TRUE(wait_until([&] { return cluster.committed(group) == cluster.end_offsets(); }, 30s));
  EXPECT_EQ(counter_value(port, metric), 3) << "only the refused commits count";
  EXPECT_TRUE(relay.stop());
}

}  // namespace
}  // namespace cdp_relay::integration
