// End-to-end pipeline behaviour without faults: exact accounting across
// partitions, committed offsets, and the per-item dead letter of a Segment
// batch envelope (README "Inputs", "Dead-letter topic").
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

TEST(PipelineIntegrationTest, HappyPathSixPartitionsExactAccountingAndCommittedOffsets) {
  TestCluster cluster(6);
  auto emulator = start_emulator();
  const std::string group = "it-happy";
  RelayRunner relay(relay_config(cluster, *emulator, group));

  // Stream while the relay consumes (the mock keeps ~5 MB per partition).
  ProducerThread producer(cluster.brokers(), GeneratorOptions{.seed = 11}, 5000);
  ASSERT_TRUE(producer.join());
  const auto produced = producer.messages();

  DlqReader dlq(cluster.brokers());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 120s));
  EXPECT_TRUE(relay.stop()) << "the relay did not drain";
  dlq.poll(100ms);

  const Accounting result = account(produced, recorded_ids(*emulator), dlq.records());
  EXPECT_GE(result.produced, 5000u);
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.duplicates, 0u) << result.summary();
  EXPECT_EQ(result.misplaced, 0u) << result.summary();
  EXPECT_EQ(result.unknown, 0u) << result.summary();
  EXPECT_TRUE(dlq.records().empty());
  EXPECT_EQ(relay.counters().messages_consumed.load(), produced.size());

  const auto end = cluster.end_offsets();
  for (const auto& [partition, offset] : end) {
    EXPECT_GT(offset, 0) << "partition " << partition << " got no input";
  }
  EXPECT_EQ(cluster.committed(group), end);
}

TEST(PipelineIntegrationTest, BatchEnvelopeWithOneBadItemDeadLettersOnlyThatItem) {
  TestCluster cluster(2);
  auto emulator = start_emulator();
  EventGenerator generator(GeneratorOptions{.seed = 3});
  std::vector<ProducedMessage> input;
  for (int i = 0; i < 20; ++i) input.push_back(generator.next());
  input.push_back(generator.segment_batch(42, 4, /*bad_index=*/2));
  for (int i = 0; i < 20; ++i) input.push_back(generator.next());
  const auto produced = produce_all(cluster.brokers(), std::move(input));
  const ProducedMessage& envelope = produced[20];
  ASSERT_EQ(envelope.invalid_ids.size(), 1u);
  const std::string bad_id = envelope.invalid_ids[0];

  RelayRunner relay(relay_config(cluster, *emulator, "it-bad-item"));
  DlqReader dlq(cluster.brokers());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));
  EXPECT_TRUE(relay.stop());
  dlq.poll(100ms);

  const Accounting result = account(produced, recorded_ids(*emulator), dlq.records());
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.duplicates, 0u) << result.summary();
  EXPECT_EQ(result.misplaced, 0u) << result.summary();

  ASSERT_EQ(dlq.records().size(), 1u);
  const DlqRecord& record = dlq.records()[0];
  EXPECT_EQ(record.ids, std::vector<std::string>{bad_id});
  ASSERT_TRUE(record.key.has_value());
  EXPECT_EQ(*record.key, envelope.key);

  // The value is that item, with the envelope's context merged in.
  const auto value = nlohmann::json::parse(record.value, nullptr, false);
  ASSERT_TRUE(value.is_object()) << record.value;
  EXPECT_FALSE(value.contains("batch")) << record.value;
  EXPECT_EQ(value.value("messageId", ""), bad_id);
  EXPECT_EQ(value.value("event", ""), "Orphan");
  const auto original = nlohmann::json::parse(envelope.value);
  ASSERT_TRUE(value.contains("context")) << record.value;
  for (const auto& [key, context_value] : original["context"].items()) {
    EXPECT_EQ(value["context"][key], context_value) << "context." << key << " in " << record.value;
  }

  EXPECT_EQ(record.header("cdp.error.stage"), "validate");
  EXPECT_EQ(record.header("cdp.error.reason"), "missing_identity");
  EXPECT_EQ(record.header("cdp.source.topic"), kTopic);
  EXPECT_EQ(record.header("cdp.source.partition"), std::to_string(envelope.partition));
  EXPECT_EQ(record.header("cdp.source.offset"), std::to_string(envelope.offset));
  EXPECT_NE(record.header("cdp.relay.version"), "<absent>");
  EXPECT_NE(record.header("cdp.error.message"), "<absent>");
}

}  // namespace
}  // namespace cdp_relay::integration
