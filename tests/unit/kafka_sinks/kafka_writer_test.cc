// The at-least-once Kafka writer: failed records wait for their backoff on
// the injected clock, and an output is reported only once a broker
// acknowledged it. Brokers are librdkafka's mock cluster in this process
// (real protocol over loopback TCP), or none at all.
#include "kafka_sinks/kafka_writer.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <memory>
#include <thread>

#include "app/mock_cluster.h"
#include "pipeline/offset_watermark.h"

namespace cdp_relay::kafka_sinks {
namespace {

using namespace std::chrono_literals;
using pipeline::Outcome;

constexpr char kTopic[] = "dead-letters";

pipeline::Output output(int64_t offset, std::string value) {
  pipeline::Output out;
  out.ref = OutputRef{std::make_shared<pipeline::PartitionTracker>("raw-events", 0), offset, 0};
  out.payload = std::move(value);
  out.key = "user-1";
  out.headers = {{"cdp.error.reason", "invalid_json"}};
  return out;
}

std::optional<Clock::time_point> wake_time(const KafkaWriter& writer, const Clock& clock) {
  util::WaitSet wait;
  wait.reset(clock.now());
  writer.add_wait(wait);
  return wait.deadline();
}

// Polls (in real time: librdkafka works on its own threads) until `done`
// or 10 s have passed.
template <typename Done>
void poll_until(KafkaWriter& writer, std::vector<Outcome>& outcomes, Done done) {
  for (int i = 0; i < 1000 && !done(); ++i) {
    writer.poll(outcomes);
    std::this_thread::sleep_for(10ms);
  }
}

TEST(KafkaWriterTest, RetryDelaysDoubleFromTwoHundredMillisecondsUpToFiveSeconds) {
  EXPECT_EQ(retry_delay(1), 200ms);
  EXPECT_EQ(retry_delay(2), 400ms);
  EXPECT_EQ(retry_delay(5), 3200ms);
  EXPECT_EQ(retry_delay(6), 5000ms);
  EXPECT_EQ(retry_delay(1000), 5000ms);
}

TEST(KafkaWriterTest, ARecordRefusedByAFullQueueIsRetriedAtItsBackoffOnTheClock) {
  ManualClock clock;
  // No broker, and room for one record: the second cannot be queued.
  KafkaWriter writer({{"bootstrap.servers", "127.0.0.1:1"}, {"queue.buffering.max.messages", "1"}},
                     "dead_letter", kTopic, clock);
  writer.submit(output(0, "first"));
  writer.submit(output(1, "second"));
  EXPECT_EQ(writer.pending(), 2u);
  EXPECT_EQ(wake_time(writer, clock), clock.now() + 200ms) << "the refused record's retry";

  std::vector<Outcome> outcomes;
  clock.advance(199ms);
  writer.poll(outcomes);
  EXPECT_EQ(wake_time(writer, clock), clock.now() + 1ms) << "retried before its time";
  clock.advance(1ms);
  writer.poll(outcomes);  // tried again, refused again: the next backoff is longer
  EXPECT_EQ(wake_time(writer, clock), clock.now() + 400ms);
  EXPECT_TRUE(outcomes.empty());
  EXPECT_EQ(writer.pending(), 2u) << "a refused record was dropped";
  EXPECT_EQ(writer.stats().produce_errors, 0u) << "a full queue is not a produce error";
}

class KafkaWriterBrokerTest : public ::testing::Test {
 protected:
  KafkaWriterBrokerTest() : cluster_(1) { cluster_.create_topic(kTopic, 1); }

  std::unique_ptr<KafkaWriter> make_writer() {
    return std::make_unique<KafkaWriter>(
        std::map<std::string, std::string>{{"bootstrap.servers", cluster_.bootstrap_servers()},
                                           {"linger.ms", "0"}},
        "dead_letter", kTopic, clock_);
  }

  app::MockCluster cluster_;
  ManualClock clock_;
};

TEST_F(KafkaWriterBrokerTest, AnOutputIsReportedOnlyOnceTheBrokerAcknowledgedIt) {
  auto writer = make_writer();
  ASSERT_TRUE(writer->warm_up(5s));
  // The broker answers each request 300 ms late.
  rd_kafka_mock_broker_set_rtt(cluster_.handle(), 1, 300);
  writer->submit(output(42, "the dead letter"));
  std::vector<Outcome> outcomes;
  writer->poll(outcomes);
  EXPECT_TRUE(outcomes.empty()) << "reported before the broker answered";
  EXPECT_EQ(writer->pending(), 1u);

  poll_until(*writer, outcomes, [&] { return !outcomes.empty(); });
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Outcome::Kind::kAcknowledged);
  EXPECT_EQ(outcomes[0].ref.offset, 42);
  EXPECT_EQ(outcomes[0].payload, "the dead letter") << "the buffer is handed back for reuse";
  EXPECT_EQ(writer->pending(), 0u);
  EXPECT_EQ(writer->stats().produced, 1u);
}

TEST_F(KafkaWriterBrokerTest, ARefusedRecordIsKeptAndProducedAgainWhenItsBackoffIsDue) {
  auto writer = make_writer();
  ASSERT_TRUE(writer->warm_up(5s));
  // The next produce request is refused, for good as far as librdkafka goes.
  rd_kafka_mock_push_request_errors(cluster_.handle(), 0 /* Produce */, 1,
                                    RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  writer->submit(output(7, "refused once"));
  std::vector<Outcome> outcomes;
  poll_until(*writer, outcomes, [&] { return writer->stats().produce_errors > 0; });
  ASSERT_EQ(writer->stats().produce_errors, 1u);
  EXPECT_EQ(writer->pending(), 1u) << "a refused record was dropped";
  EXPECT_EQ(wake_time(*writer, clock_), clock_.now() + 200ms);

  // The clock stands still: however long we poll, it is not produced again.
  for (int i = 0; i < 30; ++i) {
    writer->poll(outcomes);
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(outcomes.empty()) << "produced again before its backoff";

  clock_.advance(200ms);
  poll_until(*writer, outcomes, [&] { return !outcomes.empty(); });
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Outcome::Kind::kAcknowledged);
  EXPECT_EQ(outcomes[0].ref.offset, 7);
  EXPECT_EQ(writer->pending(), 0u);
}

}  // namespace
}  // namespace cdp_relay::kafka_sinks
