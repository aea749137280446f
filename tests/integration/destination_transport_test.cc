// TLS and proxies toward the destinations, over real sockets: the emulator
// serves HTTPS with a certificate from a CA generated for the test (openssl
// CLI), and a tiny forward proxy built with cpp-httplib records what passes
// through it.
//
//  - Without tls.ca_file the private CA is not trusted: nothing is delivered,
//    nothing is dead-lettered, the log line names the TLS failure with curl's
//    message, and cdp_relay_transport_errors_total counts kind="tls". A relay
//    restarted with the CA file then delivers every event (nothing lost).
//  - Mutual TLS: a server that requires a client certificate gets nothing
//    until tls.cert_file / tls.key_file are set, then everything.
//  - `proxy`: traffic to an http:// destination whose host name does not
//    even resolve reaches the emulator through the proxy.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"
#include "support/test_paths.h"
#include "obs/log.h"

namespace cdp_relay::integration {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, all
// issued by that CA, written into `dir` with the openssl CLI.
struct TestPki {
  std::string ca, server_cert, server_key, client_cert, client_key;
};

TestPki make_pki(const TempDir& dir) {
  const std::string d = dir.path();
  {
    std::ofstream(dir.file("server.ext")) << "basicConstraints=CA:FALSE\n"
                                             "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                             "extendedKeyUsage=serverAuth\n";
    std::ofstream(dir.file("client.ext")) << "basicConstraints=CA:FALSE\n"
                                             "extendedKeyUsage=clientAuth\n";
  }
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string script =
      "set -e; cd '" + d + "'; exec 2>openssl.log; "
      "openssl req -x509" + ec + " -keyout ca.key -out ca.pem -days 2 -subj '/CN=cdp-relay test CA'; "
      "openssl req" + ec + " -keyout server.key -out server.csr -subj '/CN=127.0.0.1'; "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "  -extfile server.ext -out server.pem; "
      "openssl req" + ec + " -keyout client.key -out client.csr -subj '/CN=cdp-relay client'; "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "  -extfile client.ext -out client.pem";
  const int rc = std::system(("bash -c \"" + script + "\"").c_str());
  EXPECT_EQ(rc, 0) << "openssl failed; see " << d << "/openssl.log";
  return {dir.file("ca.pem"), dir.file("server.pem"), dir.file("server.key"),
          dir.file("client.pem"), dir.file("client.key")};
}

std::unique_ptr<emulator::Emulator> start_tls_emulator(const TestPki& pki,
                                                       bool require_client_cert) {
  emulator::EmulatorOptions options;
  options.api_key = kApiKey;
  options.schema_dir = testing::source_path("schemas");
  options.tls_cert_file = pki.server_cert;
  options.tls_key_file = pki.server_key;
  if (require_client_cert) options.tls_client_ca_file = pki.ca;
  auto emulator = std::make_unique<emulator::Emulator>(std::move(options));
  EXPECT_TRUE(emulator->start()) << emulator->error();
  return emulator;
}

// The value of one sample of the relay's /metrics, or -1 when absent.
double metric(int admin_port, const std::string& series) {
  const auto reply = http_get(admin_port, "/metrics");
  if (!reply || reply->status != 200) return -1;
  const size_t at = reply->body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(reply->body.substr(at + series.size() + 2));
}

// Waits until every produced event is recorded by `emulator`, and checks that
// none was lost or dead-lettered on the way.
void expect_all_delivered(const emulator::Emulator& emulator, DlqReader& dlq,
                          const std::vector<ProducedMessage>& produced, const std::string& log) {
  ASSERT_TRUE(wait_for_all(emulator, dlq, produced, 60s))
      << recorded_ids(emulator).size() << " recorded\n" << log;
  const Accounting accounting = account(produced, recorded_ids(emulator), dlq.records());
  EXPECT_EQ(accounting.lost, 0u) << accounting.summary();
  EXPECT_EQ(accounting.dead_lettered, 0u) << accounting.summary();
}

class DestinationTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    obs::set_log_sink([this](std::string_view line) {
      std::lock_guard lock(mu_);
      log_.append(line).push_back('\n');
    });
    // Earlier tests in this process must not have used up the warn budget.
    obs::set_log_rate_limit(100000, std::chrono::seconds(60));
  }
  void TearDown() override {
    obs::set_log_sink({});
    obs::set_log_rate_limit(10, std::chrono::seconds(60));
  }
  std::string log() {
    std::lock_guard lock(mu_);
    return log_;
  }

  std::mutex mu_;
  std::string log_;
};

constexpr const char* kTlsErrors =
    R"(cdp_relay_transport_errors_total{destination="vidora",kind="tls"})";

TEST_F(DestinationTransportTest, PrivateCaIsRefusedWithoutCaFileNothingLostThenDeliveredWithIt) {
  TempDir dir;
  const TestPki pki = make_pki(dir);
  TestCluster cluster(2);
  auto emulator = start_tls_emulator(pki, false);
  EventGenerator generator;
  const auto produced = produce_events(cluster.brokers(), generator, 40);

  auto config = relay_config(cluster, *emulator, "it-tls-ca");
  config.vidora.base_url = "https://127.0.0.1:" + std::to_string(emulator->port());
  config.shutdown_grace_s = 1;  // the first relay cannot drain; don't wait for it
  {
    RelayRunner untrusting(config);
    ASSERT_TRUE(wait_until([&] { return metric(untrusting.admin_port(), kTlsErrors) >= 1; }, 30s))
        << log();
    ASSERT_TRUE(wait_until([&] { return contains(log(), "destination transport error"); }, 10s))
        << log();
    const std::string text = log();
    EXPECT_TRUE(contains(text, R"("kind":"tls")")) << text;
    EXPECT_TRUE(contains(text, "SSL certificate problem")) << text;  // curl's own words
    EXPECT_FALSE(contains(text, kApiKey)) << "the URL's query reached the log:\n" << text;
    EXPECT_EQ(metric(untrusting.admin_port(),
                     R"(cdp_relay_transport_errors_total{destination="vidora",kind="connect"})"),
              0);
    untrusting.stop();
  }
  EXPECT_TRUE(recorded_ids(*emulator).empty()) << "delivered to an untrusted server";
  DlqReader dlq(cluster.brokers());
  dlq.poll(500ms);
  EXPECT_TRUE(dlq.records().empty()) << "a TLS failure dead-lettered events";

  config.vidora.tls.ca_file = pki.ca;
  ASSERT_TRUE(config.validate().empty());
  RelayRunner trusting(config);
  expect_all_delivered(*emulator, dlq, produced, log());
  EXPECT_EQ(metric(trusting.admin_port(), kTlsErrors), 0);
  trusting.stop();
}

TEST_F(DestinationTransportTest, MutualTlsDeliversOnlyWithTheClientCertificate) {
  TempDir dir;
  const TestPki pki = make_pki(dir);
  TestCluster cluster(1);
  auto emulator = start_tls_emulator(pki, /*require_client_cert=*/true);
  EventGenerator generator;
  const auto produced = produce_events(cluster.brokers(), generator, 20);

  auto config = relay_config(cluster, *emulator, "it-mtls");
  config.vidora.base_url = "https://127.0.0.1:" + std::to_string(emulator->port());
  config.vidora.tls.ca_file = pki.ca;
  config.shutdown_grace_s = 1;
  {
    RelayRunner anonymous(config);
    // With TLS 1.3 the server refuses the missing certificate after the
    // client's handshake: curl reports it as a receive error, so any class.
    ASSERT_TRUE(wait_until([&] { return contains(log(), "destination transport error"); }, 30s))
        << log();
    anonymous.stop();
  }
  EXPECT_TRUE(recorded_ids(*emulator).empty()) << "delivered without a client certificate";

  config.vidora.tls.cert_file = pki.client_cert;
  config.vidora.tls.key_file = pki.client_key;
  ASSERT_TRUE(config.validate().empty());
  DlqReader dlq(cluster.brokers());
  RelayRunner authenticated(config);
  expect_all_delivered(*emulator, dlq, produced, log());
  authenticated.stop();
}

// A plain-HTTP forward proxy: a request's target is the absolute URL; the
// proxy records it and forwards the request to the emulator, whatever the
// host name says.
class RecordingProxy {
 public:
  explicit RecordingProxy(int upstream_port) : upstream_port_(upstream_port) {
    server_.set_keep_alive_timeout(2);
    const auto forward = [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        targets_.push_back(req.target);
      }
      // "http://host:port/path?query" -> "/path?query"
      const size_t scheme = req.target.find("://");
      const size_t path = scheme == std::string::npos ? 0 : req.target.find('/', scheme + 3);
      const std::string origin_form = path == std::string::npos ? "/" : req.target.substr(path);
      httplib::Client upstream("127.0.0.1", upstream_port_);
      httplib::Headers headers;
      for (const auto& [name, value] : req.headers) {
        if (name == "Content-Type" || name.starts_with("X-") || name == "Authorization") {
          headers.emplace(name, value);
        }
      }
      const std::string type = req.get_header_value("Content-Type");
      auto result = req.method == "PUT"
                        ? upstream.Put(origin_form, headers, req.body, type)
                        : upstream.Post(origin_form, headers, req.body, type);
      if (!result) {
        res.status = 502;
        return;
      }
      res.status = result->status;
      res.set_content(result->body, result->get_header_value("Content-Type"));
    };
    server_.Post(".*", forward);
    server_.Put(".*", forward);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~RecordingProxy() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> targets() {
    std::lock_guard lock(mu_);
    return targets_;
  }

 private:
  int upstream_port_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> targets_;
};

TEST_F(DestinationTransportTest, ProxyCarriesTheTrafficOfAnHttpDestination) {
  TestCluster cluster(1);
  auto emulator = start_emulator();
  RecordingProxy proxy(emulator->port());
  EventGenerator generator;
  const auto produced = produce_events(cluster.brokers(), generator, 20);

  auto config = relay_config(cluster, *emulator, "it-proxy");
  // A name that never resolves (RFC 6761): only the proxy can deliver.
  config.vidora.base_url = "http://vidora.invalid:" + std::to_string(emulator->port());
  config.vidora.proxy = "http://127.0.0.1:" + std::to_string(proxy.port());
  ASSERT_TRUE(config.validate().empty());
  DlqReader dlq(cluster.brokers());
  RelayRunner relay(config);
  expect_all_delivered(*emulator, dlq, produced, log());
  const auto targets = proxy.targets();
  ASSERT_FALSE(targets.empty());
  for (const auto& target : targets) {
    EXPECT_TRUE(target.starts_with("http://vidora.invalid:")) << target;
  }
  relay.stop();
}

}  // namespace
}  // namespace cdp_relay::integration
