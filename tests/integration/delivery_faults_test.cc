// The delivery engine against a misbehaving destination (README "Delivery"
// "Response classes"), end to end: Kafka in, the emulator's fault script on
// the HTTP side, every event accounted for.
#include <gtest/gtest.h>

#include <optional>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

using Clock = std::chrono::steady_clock;

void expect_exact(const Accounting& result) {
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.duplicates, 0u) << result.summary();
  EXPECT_EQ(result.misplaced, 0u) << result.summary();
  EXPECT_EQ(result.unknown, 0u) << result.summary();
}

TEST(DeliveryFaultsIntegrationTest, RetryAfterOn429IsHonouredAndNothingIsLost) {
  TestCluster cluster(1);  // one fetch brings every event: one batch
  auto emulator = start_emulator();
  emulator->set_script(
      script(R"({"rules":[{"match":{"count":1},"action":{"status":429,"retry_after":"2"}}]})"));
  EventGenerator generator(GeneratorOptions{.seed = 21});
  const auto produced = produce_events(cluster.brokers(), generator, 100);

  auto config = relay_config(cluster, *emulator, "it-429");
  // Everything is consumed well within the linger: one batch, so the request
  // after the 429 is that batch's retry.
  config.vidora.batch.linger_ms = 1000;

  // Request arrival times, from the emulator's counters (1 ms resolution).
  std::optional<Clock::time_point> got_429, next_request;
  std::atomic<bool> watching{true};
  std::thread watcher([&] {
    while (watching && !next_request) {
      const auto stats = emulator->stats();
      const auto now = Clock::now();
      auto it = stats.by_status.find(429);
      if (!got_429 && it != stats.by_status.end() && it->second >= 1) got_429 = now;
      if (got_429 && stats.requests >= 2) next_request = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });

  RelayRunner relay(config);
  DlqReader dlq(cluster.brokers());
  const bool all = wait_for_all(*emulator, dlq, produced, 60s);
  watching = false;
  watcher.join();
  ASSERT_TRUE(all);
  EXPECT_TRUE(relay.stop());

  ASSERT_TRUE(got_429 && next_request);
  const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(*next_request - *got_429);
  // Retry-After: 2 is a lower bound; 100 ms of slack for the 1 ms polling.
  EXPECT_GE(gap.count(), 1900) << "the retry came " << gap.count() << " ms after the 429";
  EXPECT_EQ(status_count(*emulator, 429), 1u);
  dlq.poll(100ms);
  EXPECT_TRUE(dlq.records().empty());
  expect_exact(account(produced, recorded_ids(*emulator), dlq.records()));
}

TEST(DeliveryFaultsIntegrationTest, FiveHundredStormThenRecoveryLosesNothing) {
  TestCluster cluster(3);
  auto emulator = start_emulator();
  RelayRunner relay(relay_config(cluster, *emulator, "it-500"));
  DlqReader dlq(cluster.brokers());

  // Warm up: the relay has joined and delivers.
  EventGenerator generator(GeneratorOptions{.seed = 22});
  auto produced = produce_events(cluster.brokers(), generator, 100);
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));

  // Every request fails with 500 for 3 s, while more events stream in.
  emulator->set_script(script(R"({"rules":[{"match":{"until_s":3},"action":{"status":500}}]})"));
  auto more = produce_events(cluster.brokers(), generator, 1500);
  produced.insert(produced.end(), more.begin(), more.end());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 90s));
  EXPECT_TRUE(relay.stop());

  EXPECT_GT(status_count(*emulator, 500), 0u);
  EXPECT_GT(relay.relay().engines()[0]->stats().retries, 0u);
  dlq.poll(100ms);
  EXPECT_TRUE(dlq.records().empty());
  expect_exact(account(produced, recorded_ids(*emulator), dlq.records()));
}

TEST(DeliveryFaultsIntegrationTest, BadRequestForOneEventInA500BatchDeadLettersOnlyThatEvent) {
  TestCluster cluster(3);
  auto emulator = start_emulator();
  EventGenerator generator(GeneratorOptions{.seed = 23});
  std::vector<ProducedMessage> input;
  for (int i = 0; i < 500; ++i) input.push_back(generator.segment_single(i % 97));
  const auto produced = produce_all(cluster.brokers(), std::move(input));
  const std::string poison = "ev-250";
  const ProducedMessage* poison_message = nullptr;
  for (const auto& message : produced) {
    if (message.ids[0] == poison) poison_message = &message;
  }
  ASSERT_NE(poison_message, nullptr);
  emulator->set_script(script(
      R"({"rules":[{"action":{"reject_events_where":{"field":"event_id","equals":"ev-250"}}}]})"));

  auto config = relay_config(cluster, *emulator, "it-400");
  config.vidora.batch.max_events = 500;
  config.vidora.batch.linger_ms = 1500;  // all 500 are consumed long before: one batch
  RelayRunner relay(config);
  DlqReader dlq(cluster.brokers());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));
  EXPECT_TRUE(relay.stop());
  dlq.poll(100ms);

  expect_exact(account(produced, recorded_ids(*emulator), dlq.records(), {poison}));
  EXPECT_EQ(emulator->accepted_events(), 499u);
  EXPECT_GT(status_count(*emulator, 400), 0u);
  EXPECT_GT(relay.relay().engines()[0]->stats().splits, 0u) << "no bisection happened";

  ASSERT_EQ(dlq.records().size(), 1u);
  const DlqRecord& record = dlq.records()[0];
  EXPECT_EQ(record.ids, std::vector<std::string>{poison});
  EXPECT_EQ(record.value, poison_message->value);  // a single message: the original bytes
  ASSERT_TRUE(record.key.has_value());
  EXPECT_EQ(*record.key, poison_message->key);
  EXPECT_EQ(record.header("cdp.error.stage"), "deliver");
  EXPECT_EQ(record.header("cdp.error.reason"), "rejected_by_destination");
  EXPECT_EQ(record.header("cdp.error.http_status"), "400");
  EXPECT_EQ(record.header("cdp.error.destination"), "vidora");
  EXPECT_EQ(record.header("cdp.source.topic"), kTopic);
  EXPECT_EQ(record.header("cdp.source.partition"), std::to_string(poison_message->partition));
  EXPECT_EQ(record.header("cdp.source.offset"), std::to_string(poison_message->offset));
  EXPECT_NE(record.header("cdp.error.attempts"), "<absent>");
  EXPECT_EQ(record.header("cdp.error.message").find(kApiKey), std::string::npos);
}

TEST(DeliveryFaultsIntegrationTest, PayloadTooLargeSplitsUntilRequestsFit) {
  TestCluster cluster(3);
  // The destination takes at most 16 KiB per request; the relay batches up
  // to 512 KiB, so its first requests get 413 and must be split.
  auto emulator = start_emulator(kApiKey, 16 * 1024);
  EventGenerator generator(GeneratorOptions{.seed = 24});
  const auto produced = produce_events(cluster.brokers(), generator, 1000);

  auto config = relay_config(cluster, *emulator, "it-413");
  config.vidora.batch.linger_ms = 500;
  RelayRunner relay(config);
  DlqReader dlq(cluster.brokers());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));
  EXPECT_TRUE(relay.stop());
  dlq.poll(100ms);

  EXPECT_GT(status_count(*emulator, 413), 0u);
  EXPECT_GT(emulator->stats().requests, 1u);
  EXPECT_GT(relay.relay().engines()[0]->stats().splits, 0u);
  EXPECT_TRUE(dlq.records().empty());
  expect_exact(account(produced, recorded_ids(*emulator), dlq.records()));
}

TEST(DeliveryFaultsIntegrationTest, FirstRequest413IsSplitAndDelivered) {
  TestCluster cluster(2);
  auto emulator = start_emulator();
  emulator->set_script(script(R"({"rules":[{"match":{"count":1},"action":{"status":413}}]})"));
  EventGenerator generator(GeneratorOptions{.seed = 25});
  const auto produced = produce_events(cluster.brokers(), generator, 200);

  auto config = relay_config(cluster, *emulator, "it-413-first");
  config.vidora.batch.linger_ms = 1000;
  RelayRunner relay(config);
  DlqReader dlq(cluster.brokers());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 60s));
  EXPECT_TRUE(relay.stop());
  dlq.poll(100ms);

  EXPECT_EQ(status_count(*emulator, 413), 1u);
  EXPECT_GE(emulator->stats().requests, 3u);  // the 413, then both halves
  EXPECT_TRUE(dlq.records().empty());
  expect_exact(account(produced, recorded_ids(*emulator), dlq.records()));
}

TEST(DeliveryFaultsIntegrationTest, UnauthorizedHoldsEverythingUntilTheKeyIsFixed) {
  TestCluster cluster(2);
  auto emulator = start_emulator("rotated-key");  // the relay still sends kApiKey
  EventGenerator generator(GeneratorOptions{.seed = 26});
  const auto produced = produce_events(cluster.brokers(), generator, 200);

  // A short auth hold (retry.auth_hold_ms, default 30 s) keeps the test fast;
  // the held batches are retried every 500 ms against the wrong key.
  auto config = relay_config(cluster, *emulator, "it-401");
  config.vidora.retry.auth_hold_ms = 500;
  RelayRunner relay(config);
  DlqReader dlq(cluster.brokers());
  const auto& engine = *relay.relay().engines()[0];
  // auth_failing() is read while the relay thread runs (a plain bool, read
  // only for this observation).
  ASSERT_TRUE(wait_until(
      [&] { return status_count(*emulator, 401) >= 3 && engine.auth_failing(); }, 60s));
  EXPECT_EQ(emulator->accepted_events(), 0u);
  EXPECT_EQ(relay.counters().events_delivered.load(), 0u);
  EXPECT_EQ(relay.counters().events_dead_lettered.load(), 0u);
  dlq.poll(200ms);
  EXPECT_TRUE(dlq.records().empty());

  emulator->set_api_key(kApiKey);
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 120s));
  EXPECT_TRUE(relay.stop());
  EXPECT_FALSE(relay.relay().engines()[0]->auth_failing());
  dlq.poll(100ms);
  EXPECT_TRUE(dlq.records().empty());
  expect_exact(account(produced, recorded_ids(*emulator), dlq.records()));
}

TEST(DeliveryFaultsIntegrationTest, HangingEndpointTimesOutAndRetries) {
  TestCluster cluster(3);
  auto emulator = start_emulator();
  // The first 3 requests hang for 3 s (then answer 504, unrecorded, long
  // after the client gave up); the relay times out after 1 s.
  emulator->set_script(script(
      R"({"rules":[{"match":{"count":3},"action":{"delay_ms":3000,"status":504}}]})"));
  EventGenerator generator(GeneratorOptions{.seed = 27});
  const auto produced = produce_events(cluster.brokers(), generator, 600);

  auto config = relay_config(cluster, *emulator, "it-hang");
  config.pipeline.request_timeout_ms = 1000;
  RelayRunner relay(config);
  DlqReader dlq(cluster.brokers());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 90s));
  EXPECT_TRUE(relay.stop());
  dlq.poll(100ms);

  const auto& stats = relay.relay().engines()[0]->stats();
  auto timeouts = stats.responses_by_status.find(0);
  EXPECT_TRUE(timeouts != stats.responses_by_status.end() && timeouts->second > 0)
      << "no request timed out";
  EXPECT_GT(stats.retries, 0u);
  EXPECT_TRUE(dlq.records().empty());
  expect_exact(account(produced, recorded_ids(*emulator), dlq.records()));
}

}  // namespace
}  // namespace cdp_relay::integration
