// The real Prometheus server (Debian `prometheus`) scrapes a
// running relay's /metrics every second, with deploy/prometheus/alerts.yml
// loaded as its rule file. After traffic over the mock cluster and the
// emulator, the test asks Prometheus's HTTP API for the core series and
// checks them against what actually happened (the emulator's records, the
// produced events, the partitions' end offsets).
//
// A missing prometheus binary fails the test: it never skips.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <httplib.h>

#include "cdp_relay/version.h"
#include "integration/harness.h"
#include "support/test_paths.h"

extern char** environ;

namespace cdp_relay::integration {
namespace {

std::string find_prometheus() {
  for (const char* candidate : {"/usr/bin/prometheus", "/usr/local/bin/prometheus"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return {};
}

// A Prometheus server as a child process.
class PrometheusServer {
 public:
  PrometheusServer(const std::string& binary, const TempDir& dir, int relay_port) {
    port_ = free_port();
    const std::string config = dir.file("prometheus.yml");
    std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                          << "rule_files:\n  - " << testing::source_path("deploy/prometheus/alerts.yml")
                          << "\nscrape_configs:\n  - job_name: cdp-relay\n    static_configs:\n"
                          << "      - targets: [\"127.0.0.1:" << relay_port << "\"]\n";
    log_ = dir.file("prometheus.log");
    std::vector<std::string> args = {binary,
                                     "--config.file=" + config,
                                     "--storage.tsdb.path=" + dir.file("tsdb"),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--log.level=warn"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~PrometheusServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  bool started() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // GET /api/v1/query; the "result" array, or nullopt on any failure.
  std::optional<nlohmann::json> query(const std::string& promql) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(std::chrono::seconds(10));
    auto res = client.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
    if (!res || res->status != 200) return std::nullopt;
    auto json = nlohmann::json::parse(res->body, nullptr, false);
    if (!json.is_object() || json.value("status", "") != "success") return std::nullopt;
    return json["data"]["result"];
  }
  // The value of a query that yields exactly one sample.
  std::optional<double> scalar(const std::string& promql) const {
    auto result = query(promql);
    if (!result || result->size() != 1) return std::nullopt;
    return std::stod((*result)[0]["value"][1].get<std::string>());
  }

 private:
  pid_t pid_ = -1;
  int port_ = -1;
  std::string log_;
};

TEST(PrometheusIntegrationTest, RealPrometheusScrapesTheCoreSeriesAfterTraffic) {
  const std::string binary = find_prometheus();
  ASSERT_FALSE(binary.empty())
      << "the prometheus binary is missing: install the Debian package `prometheus` "
         "(bash scripts/install-deps.sh test). This test never skips.";

  TestCluster cluster(3);
  auto emulator = start_emulator();
  auto config = relay_config(cluster, *emulator, "it-prometheus");
  config.kafka.consumer["statistics.interval.ms"] = "1000";  // lag every second
  DlqReader dlq(cluster.brokers());
  RelayRunner relay(config);
  TempDir dir;
  PrometheusServer prometheus(binary, dir, relay.admin_port());
  ASSERT_TRUE(prometheus.started());
  ASSERT_TRUE(wait_until([&] { return prometheus.scalar("up{job=\"cdp-relay\"}") == 1.0; }, 60s,
                         200ms))
      << prometheus.log();

  EventGenerator generator(GeneratorOptions{.seed = 81, .invalid_every = 25});
  const auto produced = produce_events(cluster.brokers(), generator, 3000);
  size_t events = 0, invalid = 0;
  for (const auto& message : produced) {
    events += message.ids.size();
    invalid += message.invalid_ids.size();
  }
  ASSERT_GT(invalid, 0u);
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 120s));
  const double delivered = static_cast<double>(emulator->accepted_events());
  const auto end_offsets = cluster.end_offsets();
  double log_end = 0;
  for (const auto& [partition, offset] : end_offsets) log_end += static_cast<double>(offset);

  // Wait for a scrape taken after everything was resolved and committed.
  ASSERT_TRUE(wait_until(
      [&] {
        return prometheus.scalar("cdp_relay_events_delivered_total{destination=\"vidora\"}") ==
                   delivered &&
               prometheus.scalar("sum(cdp_relay_commit_offset{topic=\"raw-events\"})") == log_end &&
               prometheus.scalar("sum(cdp_relay_consumer_lag{topic=\"raw-events\"})") == 0.0;
      },
      60s, 250ms))
      << "delivered=" << delivered << " log_end=" << log_end << "\n"
      << prometheus.query("{__name__=~\"cdp_relay_(events_delivered_total|commit_offset|consumer_lag)\"}")
             .value_or(nlohmann::json())
             .dump();

  // Input: every produced event counted once, on its topic.
  EXPECT_EQ(prometheus.scalar("cdp_relay_events_consumed_total{topic=\"raw-events\"}"),
            static_cast<double>(events));
  EXPECT_EQ(prometheus.scalar("cdp_relay_messages_consumed_total{topic=\"raw-events\"}"),
            static_cast<double>(produced.size()));
  // Rejections: counted by reason, and dead-lettered under destination "none".
  EXPECT_EQ(prometheus.scalar("cdp_relay_events_invalid_total{reason=\"missing_identity\"}"),
            static_cast<double>(invalid));
  EXPECT_EQ(prometheus.scalar("sum(cdp_relay_events_dead_lettered_total)"),
            static_cast<double>(invalid));
  EXPECT_EQ(prometheus.scalar(
                "cdp_relay_events_dead_lettered_total{destination=\"none\",reason=\"missing_identity\"}"),
            static_cast<double>(invalid));
  EXPECT_EQ(prometheus.scalar("cdp_relay_kafka_records_acked_total{sink=\"dead_letter\"}"),
            static_cast<double>(invalid));
  // Routed = delivered + skipped/filtered (nothing failed).
  EXPECT_EQ(prometheus.scalar("cdp_relay_events_routed_total{destination=\"vidora\"}"), delivered);
  // HTTP: every response a 200, as the emulator counted them.
  EXPECT_EQ(prometheus.scalar("cdp_relay_http_requests_total{destination=\"vidora\",code=\"200\"}"),
            static_cast<double>(status_count(*emulator, 200)));
  EXPECT_EQ(prometheus.scalar("cdp_relay_http_request_duration_seconds_count{destination=\"vidora\"}"),
            static_cast<double>(status_count(*emulator, 200)));
  EXPECT_EQ(prometheus.scalar("cdp_relay_batch_events_sum{destination=\"vidora\"}"), delivered);
  EXPECT_EQ(prometheus.scalar("cdp_relay_end_to_end_latency_seconds_count{destination=\"vidora\"}"),
            delivered);
  const auto p99 = prometheus.scalar(
      "histogram_quantile(0.99, sum by (le) "
      "(cdp_relay_http_request_duration_seconds_bucket{destination=\"vidora\"}))");
  ASSERT_TRUE(p99.has_value());
  EXPECT_GT(*p99, 0.0);
  EXPECT_LE(*p99, 10.0);
  // Gauges of a healthy, idle relay.
  EXPECT_EQ(prometheus.scalar("cdp_relay_inflight_requests{destination=\"vidora\"}"), 0.0);
  EXPECT_EQ(prometheus.scalar("cdp_relay_pending_events{destination=\"vidora\"}"), 0.0);
  EXPECT_EQ(prometheus.scalar("cdp_relay_circuit_open{destination=\"vidora\"}"), 0.0);
  const auto limit = prometheus.scalar("cdp_relay_concurrency_limit{destination=\"vidora\"}");
  ASSERT_TRUE(limit.has_value());
  EXPECT_GE(*limit, 1.0);
  EXPECT_LE(*limit, static_cast<double>(config.vidora.concurrency.max));
  // Kafka side.
  EXPECT_EQ(prometheus.scalar("cdp_relay_assigned_partitions"), 3.0);
  EXPECT_EQ(prometheus.query("cdp_relay_consumer_lag")->size(), 3u);
  EXPECT_EQ(prometheus.query("cdp_relay_consumer_lag_seconds")->size(), 3u);
  EXPECT_EQ(prometheus.scalar("sum(cdp_relay_consumer_lag_seconds)"), 0.0);
  EXPECT_GE(prometheus.scalar("cdp_relay_rebalances_total{event=\"assign\"}").value_or(0), 1.0);
  // Process.
  EXPECT_EQ(prometheus.scalar("cdp_relay_build_info{version=\"" + std::string(kVersion) + "\"}"), 1.0);
  EXPECT_EQ(prometheus.scalar("cdp_relay_ready"), 1.0);
  // The alert rules loaded and evaluate; none of them fires on a healthy relay.
  const auto firing = prometheus.query("ALERTS{alertstate=\"firing\"}");
  ASSERT_TRUE(firing.has_value());
  EXPECT_TRUE(firing->empty()) << firing->dump();
  EXPECT_TRUE(relay.stop());
}

}  // namespace
}  // namespace cdp_relay::integration
