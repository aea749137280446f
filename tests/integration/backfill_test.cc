// `cdp-relay run --from-timestamp T` (docs/backfill.md) against the mock
// cluster over TCP: a back-fill group delivers exactly the events whose Kafka
// timestamp is at or after T, leaves the live group alone, and a restart
// resumes from its committed offsets instead of starting at T again.
//
// The timestamp -> offset answer: librdkafka 2.0.2's mock cluster answers
// "no offset" to every ListOffsets-by-timestamp request (its handler has no
// time index), so the first test gives the relay a lookup that reads the
// partition and returns what a broker's time index returns: the first offset
// whose timestamp is >= T. Everything else (committed-offset check, seek on
// assignment, delivery, commits) is the relay's own code on the real
// protocol. The second test keeps librdkafka's real rd_kafka_offsets_for_times
// and checks its "nothing that recent" answer: the partitions start at the end.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "app/run_command.h"
#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

app::BackfillFlags from_timestamp(int64_t ms) {
  app::BackfillFlags flags;
  flags.from_timestamp = std::to_string(ms);
  return flags;
}

rd_kafka_t* client(rd_kafka_type_t type, const std::string& brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[256];
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
  if (type == RD_KAFKA_CONSUMER) {  // required by a consumer; never joined (assign only)
    rd_kafka_conf_set(conf, "group.id", "it-backfill-reader", errstr, sizeof errstr);
  }
  rd_kafka_t* handle = rd_kafka_new(type, conf, errstr, sizeof errstr);
  EXPECT_NE(handle, nullptr) << errstr;
  return handle;
}

// Produces each message to partition (index % partitions) with the Kafka
// timestamp `timestamp_ms` (CreateTime), and waits for every ack.
void produce_at(const std::string& brokers, const std::vector<ProducedMessage>& messages,
                int partitions, int64_t timestamp_ms) {
  rd_kafka_t* producer = client(RD_KAFKA_PRODUCER, brokers);
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& message = messages[i];
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(kTopic),
        RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % static_cast<size_t>(partitions))),
        RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
        RD_KAFKA_V_END);
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
  EXPECT_EQ(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);
}

std::vector<ProducedMessage> generate(EventGenerator& generator, int count) {
  std::vector<ProducedMessage> messages;
  for (int i = 0; i < count; ++i) messages.push_back(generator.segment_single(i));
  return messages;
}

std::vector<ProducedMessage> joined(std::vector<ProducedMessage> a,
                                    const std::vector<ProducedMessage>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// What a broker's time index answers, found by reading the partition: the
// first offset whose timestamp is >= `ms`, -1 when none is. Counts the
// partitions it was asked about.
class ReadingTimeIndex {
 public:
  explicit ReadingTimeIndex(std::string brokers) : brokers_(std::move(brokers)) {}

  source::OffsetsForTimes lookup() {
    return [this](rd_kafka_t*, const rd_kafka_topic_partition_list_t& partitions, int64_t ms,
                  std::chrono::milliseconds) {
      std::vector<std::optional<int64_t>> answers;
      for (int i = 0; i < partitions.cnt; ++i) {
        answers.push_back(first_at_or_after(partitions.elems[i].topic,
                                            partitions.elems[i].partition, ms));
        asked_.fetch_add(1);
      }
      return answers;
    };
  }
  int asked() const { return asked_.load(); }

 private:
  int64_t first_at_or_after(const char* topic, int32_t partition, int64_t ms) {
    rd_kafka_t* reader = client(RD_KAFKA_CONSUMER, brokers_);
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_query_watermark_offsets(reader, topic, partition, &low, &high, 10000);
    int64_t found = -1;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, partition)->offset = low;
    rd_kafka_assign(reader, list);
    rd_kafka_topic_partition_list_destroy(list);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (int64_t next = low; next < high && found < 0 &&
                             std::chrono::steady_clock::now() < deadline;) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(reader, 100);
      if (message == nullptr) continue;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        next = message->offset + 1;
        if (rd_kafka_message_timestamp(message, nullptr) >= ms) found = message->offset;
      }
      rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(reader);
    rd_kafka_destroy(reader);
    return found;
  }

  std::string brokers_;
  std::atomic<int> asked_{0};
};

size_t recorded_among(const std::vector<std::string>& recorded,
                      const std::vector<ProducedMessage>& messages) {
  std::set<std::string> ids;
  for (const auto& message : messages) ids.insert(message.ids.begin(), message.ids.end());
  return static_cast<size_t>(std::count_if(recorded.begin(), recorded.end(),
                                           [&](const std::string& id) { return ids.count(id); }));
}

TEST(BackfillIntegrationTest, StartsAtTheTimestampLeavesTheLiveGroupAndResumesOnRestart) {
  constexpr int kPartitions = 2;
  TestCluster cluster(kPartitions);
  auto emulator = start_emulator();
  const int64_t now = now_ms();
  const int64_t two_days_ago = now - 48 * 3600 * 1000;
  const int64_t an_hour_ago = now - 3600 * 1000;
  const int64_t from = now - 24 * 3600 * 1000;

  EventGenerator generator(GeneratorOptions{.seed = 14});
  const auto old_events = generate(generator, 12);
  const auto new_events = generate(generator, 10);
  produce_at(cluster.brokers(), old_events, kPartitions, two_days_ago);
  produce_at(cluster.brokers(), new_events, kPartitions, an_hour_ago);

  app::RelayConfig config = relay_config(cluster, *emulator, "it-live");
  ASSERT_EQ(app::apply_backfill_flags(from_timestamp(from), config, now),
            std::nullopt);
  const std::string group = "it-live-backfill-" + std::to_string(from);
  ASSERT_EQ(config.kafka.group_id, group);
  ReadingTimeIndex time_index(cluster.brokers());
  config.kafka.offsets_for_times = time_index.lookup();

  DlqReader dlq(cluster.brokers());
  {
    RelayRunner relay(config);
    ASSERT_TRUE(wait_for_all(*emulator, dlq, new_events, 60s));
    wait_for_quiet(*emulator);
    EXPECT_TRUE(relay.stop());
  }
  const auto first_run = recorded_ids(*emulator);
  EXPECT_EQ(recorded_among(first_run, old_events), 0u) << "events older than T were delivered";
  const Accounting first = account(new_events, first_run, dlq.records());
  EXPECT_EQ(first.lost, 0u) << first.summary();
  EXPECT_EQ(first.duplicates, 0u) << first.summary();
  EXPECT_EQ(first.unknown, 0u) << first.summary();
  EXPECT_EQ(time_index.asked(), kPartitions);
  EXPECT_EQ(cluster.committed(group), cluster.end_offsets());
  for (const auto& [partition, offset] : cluster.committed("it-live")) {
    EXPECT_EQ(offset, RD_KAFKA_OFFSET_INVALID) << "the live group was touched, partition "
                                               << partition;
  }

  // Late events carrying old timestamps arrive; the back-fill restarts. Its
  // committed offsets win over T: the late events are delivered once, and
  // nothing of the first run again (seeking to T again would re-deliver
  // every new event).
  const auto late_events = generate(generator, 6);
  produce_at(cluster.brokers(), late_events, kPartitions, two_days_ago);
  const auto expected = joined(new_events, late_events);
  {
    RelayRunner relay(config);
    ASSERT_TRUE(wait_for_all(*emulator, dlq, expected, 60s));
    wait_for_quiet(*emulator);
    EXPECT_TRUE(relay.stop());
  }
  const auto both_runs = recorded_ids(*emulator);
  EXPECT_EQ(recorded_among(both_runs, old_events), 0u);
  const Accounting total = account(expected, both_runs, dlq.records());
  EXPECT_EQ(total.lost, 0u) << total.summary();
  EXPECT_EQ(total.duplicates, 0u) << total.summary();
  EXPECT_EQ(total.unknown, 0u) << total.summary();
  EXPECT_EQ(time_index.asked(), kPartitions) << "a committed partition was looked up again";
  EXPECT_EQ(cluster.committed(group), cluster.end_offsets());
}

TEST(BackfillIntegrationTest, NothingThatRecentStartsAtTheEndWithTheBrokersOwnLookup) {
  constexpr int kPartitions = 2;
  TestCluster cluster(kPartitions);
  auto emulator = start_emulator();
  const int64_t now = now_ms();
  EventGenerator generator(GeneratorOptions{.seed = 15});
  const auto before = generate(generator, 10);
  produce_at(cluster.brokers(), before, kPartitions, now - 3600 * 1000);

  // T after every stored message: rd_kafka_offsets_for_times answers -1.
  app::RelayConfig config = relay_config(cluster, *emulator, "it-live");
  ASSERT_EQ(app::apply_backfill_flags(from_timestamp(now - 60 * 1000), config, now),
            std::nullopt);
  RelayRunner relay(config);

  // The partitions start at the end once assigned: feed new events until
  // one has arrived from every partition (each partition finds its end when
  // its own fetch starts, which may be later than another's), then a few
  // more that must all arrive.
  std::vector<ProducedMessage> after;
  auto arrived_from_every_partition = [&] {
    const auto recorded = recorded_ids(*emulator);
    for (int partition = 0; partition < kPartitions; ++partition) {
      std::vector<ProducedMessage> on_partition;
      // produce_at puts message i of each batch on partition i % kPartitions,
      // and every batch below has kPartitions messages.
      for (size_t i = static_cast<size_t>(partition); i < after.size(); i += kPartitions) {
        on_partition.push_back(after[i]);
      }
      if (recorded_among(recorded, on_partition) == 0) return false;
    }
    return true;
  };
  const bool one_arrived = wait_until(
      [&] {
        const auto batch = generate(generator, kPartitions);
        produce_at(cluster.brokers(), batch, kPartitions, now_ms());
        after.insert(after.end(), batch.begin(), batch.end());
        return arrived_from_every_partition();
      },
      30s, 200ms);
  ASSERT_TRUE(one_arrived);
  const auto last = generate(generator, 4);
  produce_at(cluster.brokers(), last, kPartitions, now_ms());
  DlqReader dlq(cluster.brokers());
  ASSERT_TRUE(wait_for_all(*emulator, dlq, last, 60s));
  wait_for_quiet(*emulator);
  EXPECT_TRUE(relay.stop());

  const auto recorded = recorded_ids(*emulator);
  EXPECT_EQ(recorded_among(recorded, before), 0u) << "events older than T were delivered";
  const auto produced = joined(after, last);
  EXPECT_EQ(recorded_among(recorded, produced), recorded.size());
  const Accounting result = account(last, recorded, dlq.records());
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.duplicates, 0u) << result.summary();
}

}  // namespace
}  // namespace cdp_relay::integration
