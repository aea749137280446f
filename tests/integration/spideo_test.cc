// Two HTTP destinations at once (README "Spideo destination"): one event fans out to
// Vidora and Spideo, and its offset is stored only after both resolve. A
// Spideo outage must not stop Vidora, yet it holds the offset until Spideo
// recovers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

std::vector<ProducedMessage> spideo_tracks(int count) {
  std::vector<ProducedMessage> messages;
  for (int i = 1; i <= count; ++i) {
    ProducedMessage message;
    const std::string id = "ev-" + std::to_string(i);
    message.key = "user-" + std::to_string(i % 7);
    // The content id is the event id, so Spideo's record names the event too.
    message.value = R"({"type":"track","event":"Video Content Playing","userId":")" + message.key +
                    R"(","messageId":")" + id +
                    R"(","timestamp":"2024-03-01T10:00:00Z","properties":{"asset_id":")" + id +
                    R"(","origin":"home"}})";
    message.ids = {id};
    messages.push_back(std::move(message));
  }
  return messages;
}

app::RelayConfig both_destinations(const TestCluster& cluster, const emulator::Emulator& emulator,
                                   const std::string& group) {
  app::RelayConfig config = relay_config(cluster, emulator, group);
  config.spideo.enabled = true;
  config.spideo.api_key = kApiKey;
  config.spideo.client = "acme";
  config.spideo.url_template = "http://127.0.0.1:" + std::to_string(emulator.port()) +
                               "/api/users/{user}/interactions/{interaction}/{content_id}";
  config.spideo.retry.initial_backoff_ms = 20;
  config.spideo.retry.max_backoff_ms = 300;
  return config;
}

// Content ids of the Spideo interactions the emulator recorded.
std::multiset<std::string> spideo_content_ids(const emulator::Emulator& emulator) {
  std::multiset<std::string> ids;
  for (const auto& line : emulator.recorded_events()) {
    const auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_object() && record.contains("spideo")) {
      ids.insert(record["spideo"].value("content_id", ""));
    }
  }
  return ids;
}

// Vidora events the emulator recorded (Spideo records carry no event_id).
size_t vidora_count(const emulator::Emulator& emulator) {
  size_t count = 0;
  for (const auto& id : recorded_ids(emulator)) count += id.starts_with("ev-") ? 1 : 0;
  return count;
}

TEST(SpideoIntegrationTest, OneEventFansOutToBothDestinationsBeforeItsOffsetIsCommitted) {
  TestCluster cluster(2);
  auto emulator = start_emulator();
  const std::string group = "it-fan-out";
  const auto produced = produce_all(cluster.brokers(), spideo_tracks(60));
  RelayRunner relay(both_destinations(cluster, *emulator, group));
  ASSERT_TRUE(wait_until([&] {
    return vidora_count(*emulator) >= 60 && spideo_content_ids(*emulator).size() >= 60;
  }, 60s));
  EXPECT_TRUE(relay.stop());

  const auto spideo = spideo_content_ids(*emulator);
  const std::vector<std::string> recorded = recorded_ids(*emulator);
  const std::multiset<std::string> vidora(recorded.begin(), recorded.end());
  for (const auto& message : produced) {
    EXPECT_EQ(spideo.count(message.ids[0]), 1u) << message.ids[0];
    EXPECT_EQ(vidora.count(message.ids[0]), 1u) << message.ids[0];
  }
  EXPECT_EQ(cluster.committed(group), cluster.end_offsets());
}

TEST(SpideoIntegrationTest, SpideoOutageDoesNotBlockVidoraButHoldsTheOffset) {
  TestCluster cluster(1);
  auto emulator = start_emulator();
  // Spideo answers 503 for its first 6 s; Vidora is healthy throughout.
  emulator->set_script(
      script(R"({"rules":[{"match":{"path_prefix":"/api","until_s":6},"action":{"status":503}}]})"));
  const std::string group = "it-spideo-outage";
  const auto produced = produce_all(cluster.brokers(), spideo_tracks(40));
  RelayRunner relay(both_destinations(cluster, *emulator, group));

  // Vidora gets everything while Spideo is still failing...
  ASSERT_TRUE(wait_until([&] { return vidora_count(*emulator) >= 40; }, 30s));
  EXPECT_TRUE(spideo_content_ids(*emulator).empty());
  // ...and across more than one auto-commit interval (1 s), the offset stays
  // below the end: the Spideo outputs are unresolved.
  const auto end = cluster.end_offsets();
  ASSERT_TRUE(wait_until([&] { return status_count(*emulator, 503) >= 3; }, 10s));
  std::this_thread::sleep_for(1500ms);  // let an auto-commit happen if it (wrongly) could
  const auto during = cluster.committed(group);
  EXPECT_NE(during, end) << "offsets were committed before Spideo resolved";

  // After the outage Spideo receives everything and the offsets reach the end.
  ASSERT_TRUE(wait_until([&] { return spideo_content_ids(*emulator).size() >= 40; }, 60s));
  EXPECT_TRUE(relay.stop());
  EXPECT_EQ(cluster.committed(group), end);
  const auto spideo = spideo_content_ids(*emulator);
  for (const auto& message : produced) EXPECT_EQ(spideo.count(message.ids[0]), 1u);
  EXPECT_EQ(vidora_count(*emulator), 40u) << "Vidora must not be re-sent anything";
}

}  // namespace
}  // namespace cdp_relay::integration
