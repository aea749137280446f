// The optional normalized-events topic (README "Dead-letter topic"): every valid event as
// canonical JSON, keyed by user id, written by an idempotent producer, and
// counted as an output for the watermark.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

constexpr const char* kNormalizedTopic = "events.normalized";

TEST(NormalizedIntegrationTest, EveryValidEventIsWrittenOnceAsCanonicalJsonKeyedByUser) {
  TestCluster cluster(3);
  // One partition: the reader (DlqReader) assigns partition 0 only.
  ASSERT_EQ(rd_kafka_mock_topic_create(cluster.handle(), kNormalizedTopic, 1, 1),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  auto emulator = start_emulator();
  app::RelayConfig config = relay_config(cluster, *emulator, "it-normalized");
  config.normalized.enabled = true;
  config.normalized.topic = kNormalizedTopic;

  EventGenerator generator(GeneratorOptions{.seed = 5, .invalid_every = 10});
  std::vector<ProducedMessage> input;
  for (int i = 0; i < 300; ++i) input.push_back(generator.next());
  const auto produced = produce_all(cluster.brokers(), std::move(input));
  std::set<std::string> valid_ids;
  std::set<std::string> invalid_ids;
  for (const auto& message : produced) {
    for (const auto& id : message.ids) valid_ids.insert(id);
    for (const auto& id : message.invalid_ids) {
      valid_ids.erase(id);
      invalid_ids.insert(id);
    }
  }
  ASSERT_FALSE(invalid_ids.empty());

  RelayRunner relay(config);
  DlqReader dlq(cluster.brokers());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));
  DlqReader normalized(cluster.brokers(), kNormalizedTopic);
  ASSERT_TRUE(normalized.wait_for(valid_ids.size(), 30s))
      << "read " << normalized.records().size() << " of " << valid_ids.size();
  EXPECT_TRUE(relay.stop());
  normalized.poll(200ms);

  std::map<std::string, int> seen;
  for (const DlqRecord& record : normalized.records()) {
    const auto event = nlohmann::json::parse(record.value, nullptr, false);
    ASSERT_TRUE(event.is_object()) << record.value;
    const std::string id = event.value("message_id", "");
    ++seen[id];
    EXPECT_TRUE(valid_ids.count(id)) << "unexpected event " << id;
    EXPECT_TRUE(event.contains("source_format"));
    EXPECT_TRUE(event.contains("kind"));
    EXPECT_TRUE(event.contains("timestamp_ms"));
    ASSERT_TRUE(event.contains("origin"));
    EXPECT_EQ(event["origin"].value("topic", ""), kTopic);
    // Keyed by user id (anonymous id when there is none).
    const std::string user =
        event.contains("user_id") ? event.value("user_id", "") : event.value("anonymous_id", "");
    ASSERT_TRUE(record.key.has_value());
    EXPECT_EQ(*record.key, user);
  }
  EXPECT_EQ(seen.size(), valid_ids.size());
  for (const auto& [id, copies] : seen) EXPECT_EQ(copies, 1) << id;
  for (const auto& id : invalid_ids) EXPECT_EQ(seen.count(id), 0u) << id;

  // The normalized records are outputs too: the offsets were committed only
  // once they were acknowledged, and a clean stop commits the end.
  EXPECT_EQ(cluster.committed("it-normalized"), cluster.end_offsets());
}

}  // namespace
}  // namespace cdp_relay::integration
