#include "app/demo_command.h"

#include <httplib.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "app/demo_events.h"
#include "app/mock_cluster.h"
#include "app/run_command.h"
#include "app/wiring.h"
#include "emulator/emulator.h"
#include "emulator/schema_locator.h"
#include "obs/kafka_log.h"
#include "obs/log.h"

namespace cdp_relay::app {
namespace {

constexpr const char* kTopic = "raw-events";
constexpr const char* kDeadLetterTopic = "raw-events.dlq";
constexpr const char* kApiKey = "demo-api-key";
// The mock cluster keeps about 5 MB per partition: the producer
// stays at most this many messages ahead of the relay.
constexpr uint64_t kMaxProducedAhead = 20000;

struct ProducerTotals {
  std::atomic<uint64_t> messages{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> expected_invalid{0};
  std::atomic<bool> done{false};
  std::atomic<bool> failed{false};
};

RelayConfig demo_config(const std::string& brokers, int emulator_port) {
  RelayConfig config;
  config.kafka.brokers = brokers;
  config.kafka.group_id = "cdp-relay-demo";
  // Short group timeouts and fetch waits: the mock coordinator and fetch path
  // need them (the mock never cuts a fetch wait short).
  config.kafka.consumer = {{"session.timeout.ms", "6000"},
                           {"max.poll.interval.ms", "10000"},
                           {"fetch.wait.max.ms", "10"},
                           {"statistics.interval.ms", "1000"}};  // lag metrics every second
  config.sources.push_back({kTopic, decode::InputFormat::kAuto});
  config.dead_letter.topic = kDeadLetterTopic;
  config.vidora.api_key = kApiKey;
  config.vidora.base_url = "http://127.0.0.1:" + std::to_string(emulator_port);
  config.vidora.batch.linger_ms = 20;
  config.shutdown_grace_s = 30;
  // A free loopback port: the demo must not collide with a relay on 9464.
  config.admin.listen = "127.0.0.1:0";
  return config;
}

// Fetches the relay's own /metrics over HTTP, as Prometheus would.
bool save_metrics(int port, const std::string& file) {
  httplib::Client client("127.0.0.1", port);
  auto response = client.Get("/metrics");
  if (!response || response->status != 200) return false;
  std::ofstream out(file);
  out << response->body;
  return static_cast<bool>(out);
}

void produce_stream(const std::string& brokers, const DemoOptions& options,
                    const PipelineCounters& relay, ProducerTotals& totals,
                    const std::atomic<bool>& stop) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
  obs::route_kafka_logs(conf);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (producer == nullptr) {
    totals.failed = true;
    totals.done = true;
    return;
  }
  DemoEventGenerator generator(42, 5000, options.malformed_ratio);
  while (totals.events < options.events && !stop) {
    if (totals.messages - relay.messages_consumed.load() > kMaxProducedAhead) {
      rd_kafka_poll(producer, 1);
      continue;
    }
    DemoMessage message = generator.next();
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(kTopic),
          RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
          RD_KAFKA_V_VALUE(message.value.data(), message.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer, 10);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    rd_kafka_poll(producer, 0);
    ++totals.messages;
    totals.events += message.events;
    totals.expected_invalid += message.expected_invalid;
  }
  rd_kafka_flush(producer, 30000);
  rd_kafka_destroy(producer);
  totals.done = true;
}

}  // namespace

int run_demo(const DemoOptions& options) {
  // Dead letters of the ~1% malformed inputs are warnings by design; keep
  // the demo's terminal for the progress line.
  obs::set_min_log_level(obs::LogLevel::kError);
  const std::atomic<bool>& interrupted = install_stop_signals();

  MockCluster cluster(3);
  cluster.create_topic(kTopic, options.partitions);
  cluster.create_topic(kDeadLetterTopic, 1);

  emulator::EmulatorOptions emulator_options;
  emulator_options.api_key = kApiKey;
  emulator_options.schema_dir = emulator::find_schema_dir();
  emulator_options.validate = !emulator_options.schema_dir.empty();
  emulator_options.keep_in_memory = false;
  emulator::Emulator emulator(emulator_options);
  if (!emulator.start()) {
    std::fprintf(stderr, "demo: cannot start the emulator: %s\n", emulator.error().c_str());
    return 1;
  }

  const std::string brokers = cluster.bootstrap_servers();
  const RelayConfig config = demo_config(brokers, emulator.port());
  SystemClock clock;
  SystemRandom random;
  Relay relay(config, clock, random);
  const PipelineCounters& counters = relay.loop().counters();

  std::printf("cdp-relay demo\n");
  std::printf("  kafka     mock cluster, 3 brokers at %s, topic %s (%d partitions)\n",
              brokers.c_str(), kTopic, options.partitions);
  std::printf("  vidora    emulator at http://127.0.0.1:%d%s (schema validation %s)\n",
              emulator.port(), config.vidora.path.c_str(), emulator_options.validate ? "on" : "off");
  std::printf("  metrics   http://127.0.0.1:%d/metrics  (also /healthz, /readyz)\n",
              relay.admin_port());
  std::printf("  streaming %llu events ... (Ctrl-C stops early)\n\n",
              static_cast<unsigned long long>(options.events));
  std::fflush(stdout);

  std::atomic<bool> stop{false};
  bool metrics_saved = options.metrics_file.empty();
  ProducerTotals totals;
  std::thread producer([&] { produce_stream(brokers, options, counters, totals, stop); });

  // Watches progress, prints it, and decides when everything is accounted for.
  const auto started = std::chrono::steady_clock::now();
  // When the relay consumed its first message: before that the consumer is
  // joining the group (the mock coordinator takes ~3 s), which says nothing
  // about throughput.
  std::atomic<int64_t> first_consumed_ns{0};
  std::thread watcher([&] {
    uint64_t last_resolved = 0;
    auto last_tick = started;
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const uint64_t resolved = counters.events_delivered + counters.events_dead_lettered +
                                counters.events_skipped + counters.events_filtered;
      const auto now = std::chrono::steady_clock::now();
      if (first_consumed_ns == 0 && counters.messages_consumed > 0) {
        first_consumed_ns = (now - started).count();
      }
      if (now - last_tick >= std::chrono::seconds(1) && !options.quiet &&
          first_consumed_ns == 0) {
        std::printf("\r  joining the consumer group ...%48s", "");
        std::fflush(stdout);
        last_tick = now;
      } else if (now - last_tick >= std::chrono::seconds(1) && !options.quiet) {
        const double seconds = std::chrono::duration<double>(now - last_tick).count();
        std::printf("\r  consumed %8llu msgs | delivered %8llu | dlq %6llu | %8.0f events/s   ",
                    static_cast<unsigned long long>(counters.messages_consumed.load()),
                    static_cast<unsigned long long>(counters.events_delivered.load()),
                    static_cast<unsigned long long>(counters.events_dead_lettered.load()),
                    static_cast<double>(resolved - last_resolved) / seconds);
        std::fflush(stdout);
        last_resolved = resolved;
        last_tick = now;
      }
      if (!interrupted && totals.done && resolved >= totals.events &&
          !options.metrics_file.empty()) {
        // Scraped while the relay still runs (partitions assigned), as
        // Prometheus would see it.
        metrics_saved = save_metrics(relay.admin_port(), options.metrics_file);
      }
      if (interrupted || (totals.done && resolved >= totals.events)) stop = true;
    }
  });

  const bool drained = relay.run(stop);
  stop = true;
  watcher.join();
  producer.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double join_seconds = static_cast<double>(first_consumed_ns.load()) / 1e9;

  const uint64_t produced = totals.events;
  const uint64_t delivered = counters.events_delivered;
  const uint64_t dead = counters.events_dead_lettered;
  const uint64_t skipped = counters.events_skipped + counters.events_filtered;
  const uint64_t dlq_acked = relay.dead_letters().stats().produced;
  const uint64_t recorded = emulator.accepted_events();
  const bool reconciled = !interrupted && !totals.failed && drained &&
                          produced == delivered + dead + skipped && recorded == delivered &&
                          dlq_acked == dead && dead == totals.expected_invalid;

  std::printf("\n\n  %-34s %12s\n", "summary", "events");
  std::printf("  %-34s %12llu\n", "produced (input events)", static_cast<unsigned long long>(produced));
  std::printf("  %-34s %12llu\n", "delivered to vidora", static_cast<unsigned long long>(delivered));
  std::printf("  %-34s %12llu\n", "recorded by the emulator", static_cast<unsigned long long>(recorded));
  std::printf("  %-34s %12llu\n", "dead-lettered", static_cast<unsigned long long>(dead));
  for (const auto& [reason, count] : relay.loop().dead_letters_by_reason()) {
    std::printf("    %-32s %12llu\n", reason.c_str(), static_cast<unsigned long long>(count));
  }
  std::printf("  %-34s %12llu\n", "acknowledged by the DLQ topic", static_cast<unsigned long long>(dlq_acked));
  std::printf("  %-34s %12llu\n", "expected malformed", static_cast<unsigned long long>(totals.expected_invalid.load()));
  std::printf("  %-34s %12llu\n", "skipped (alias / integrations)", static_cast<unsigned long long>(skipped));
  std::printf("  %-34s %12.1f s (group join %.1f s; %.0f events/s after it)\n", "elapsed",
              seconds, join_seconds,
              static_cast<double>(produced) / std::max(0.001, seconds - join_seconds));
  std::printf("  %-34s %12s\n", "offsets committed on shutdown", drained ? "yes" : "NO");
  std::printf("\n  produced %llu = delivered %llu + dead-lettered %llu + skipped %llu: %s\n",
              static_cast<unsigned long long>(produced), static_cast<unsigned long long>(delivered),
              static_cast<unsigned long long>(dead), static_cast<unsigned long long>(skipped),
              reconciled ? "RECONCILED" : "MISMATCH");
  if (!metrics_saved) {
    std::fprintf(stderr, "demo: cannot fetch /metrics into %s\n", options.metrics_file.c_str());
  }
  emulator.stop();
  return reconciled && metrics_saved ? 0 : 1;
}

}  // namespace cdp_relay::app
