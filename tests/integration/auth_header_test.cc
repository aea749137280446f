// `auth: header` end to end: Kafka (mock cluster) -> relay -> real HTTP. A
// recording cpp-httplib server stands in for both destinations and shows the
// key arriving in the configured header and nowhere in the request target,
// so it cannot land in a proxy's access log.
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <thread>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

struct SeenRequest {
  std::string method;
  std::string target;  // path and query exactly as sent
  size_t params = 0;
  std::string authorization;
  std::string x_api_key;
};

// Answers 200 to every request and remembers it.
class RecordingServer {
 public:
  RecordingServer() {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      seen_.push_back({req.method, req.target, req.params.size(),
                       req.get_header_value("Authorization"), req.get_header_value("X-API-Key")});
      res.set_content("{}", "application/json");
    };
    server_.Post(".*", record);
    server_.Put(".*", record);
    port_ = server_.bind_to_any_port("127.0.0.1");
    // The socket listens from bind on, so requests queue until the thread accepts.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~RecordingServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<SeenRequest> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<SeenRequest> seen_;
};

TEST(AuthHeaderIntegrationTest, TheKeyTravelsInTheConfiguredHeaderNotInTheQuery) {
  TestCluster cluster(1);
  auto emulator = start_emulator();  // unused peer: relay_config wants one
  RecordingServer server;
  app::RelayConfig config = relay_config(cluster, *emulator, "it-auth-header");
  config.vidora.base_url = server.url();
  config.vidora.auth.placement = delivery::AuthPlacement::kHeader;  // Authorization: Bearer KEY
  config.spideo.enabled = true;
  config.spideo.api_key = "spideo-it-key";
  config.spideo.client = "acme";
  config.spideo.url_template =
      server.url() + "/api/users/{user}/interactions/{interaction}/{content_id}";
  config.spideo.auth.placement = delivery::AuthPlacement::kHeader;
  config.spideo.auth.header = "X-API-Key";
  config.spideo.auth.value_template = "{api_key}";
  ASSERT_TRUE(config.validate().empty());

  ProducedMessage message;
  message.key = "user-1";
  message.value =
      R"({"type":"track","event":"Video Content Watched","userId":"user-1","messageId":"ev-1",)"
      R"("timestamp":"2024-03-01T10:00:00Z","properties":{"asset_id":"xyz"}})";
  message.ids = {"ev-1"};
  produce_all(cluster.brokers(), {message});
  RelayRunner relay(config);
  auto both_arrived = [&] {
    bool vidora = false;
    bool spideo = false;
    for (const auto& request : server.seen()) {
      vidora = vidora || request.target.starts_with("/v1/events");
      spideo = spideo || request.target.starts_with("/api/users/");
    }
    return vidora && spideo;
  };
  ASSERT_TRUE(wait_until(both_arrived, 60s));
  EXPECT_TRUE(relay.stop());

  for (const auto& request : server.seen()) {
    SCOPED_TRACE(request.method + " " + request.target);
    EXPECT_EQ(request.target.find('?'), std::string::npos);
    EXPECT_EQ(request.params, 0u);
    if (request.target.starts_with("/v1/events")) {
      EXPECT_EQ(request.method, "POST");
      EXPECT_EQ(request.authorization, std::string("Bearer ") + kApiKey);
      EXPECT_EQ(request.x_api_key, "");
    } else {
      EXPECT_EQ(request.method, "PUT");
      EXPECT_EQ(request.target, "/api/users/user-1/interactions/play/xyz");
      EXPECT_EQ(request.x_api_key, "spideo-it-key");
      EXPECT_EQ(request.authorization, "");
    }
  }
}

}  // namespace
}  // namespace cdp_relay::integration
