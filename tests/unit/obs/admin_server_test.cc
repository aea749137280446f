// The admin server over real loopback HTTP (port 0): /metrics in the text
// format, /healthz and /readyz following the published health state.
#include "obs/admin_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace cdp_relay::obs {
namespace {

class AdminServerTest : public ::testing::Test {
 protected:
  AdminServerTest() : metrics_("9.9.9"), vidora_(health_.add_destination("vidora")) {
    settings_.listen = "127.0.0.1:0";
    settings_.max_circuit_open_s = 5;
  }
  void SetUp() override {
    server_ = std::make_unique<AdminServer>(settings_, metrics_, health_);
    server_->start();
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  httplib::Result get(const std::string& path) { return client_->Get(path.c_str()); }

  AdminSettings settings_;
  Metrics metrics_;
  HealthState health_;
  DestinationHealth& vidora_;
  std::unique_ptr<AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AdminServerTest, ServesMetricsInTheTextFormat) {
  metrics_.delivery("vidora").delivered.Increment(5);
  auto res = get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res->body.find("cdp_relay_events_delivered_total{destination=\"vidora\"} 5"),
            std::string::npos);
  EXPECT_NE(res->body.find("cdp_relay_build_info{version=\"9.9.9\"} 1"), std::string::npos);
  EXPECT_NE(res->body.find("cdp_relay_ready 0"), std::string::npos) << "the loop is not running";
}

TEST_F(AdminServerTest, ProbesFollowTheHealthState) {
  EXPECT_EQ(get("/healthz")->status, 503);
  auto not_ready = get("/readyz");
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(not_ready->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(not_ready->body)["status"], "unavailable");

  health_.set_running(true);
  health_.heartbeat(std::chrono::steady_clock::now());
  health_.set_in_group(true);
  EXPECT_EQ(get("/healthz")->status, 200);
  EXPECT_EQ(get("/readyz")->status, 200);
  EXPECT_NE(get("/metrics")->body.find("cdp_relay_ready 1"), std::string::npos);

  vidora_.auth_failing = true;
  auto auth = get("/readyz");
  EXPECT_EQ(auth->status, 503);
  EXPECT_NE(auth->body.find("rejects the credentials"), std::string::npos);
  vidora_.auth_failing = false;
  vidora_.circuit_open_ms = 6000;  // over admin.max_circuit_open_s = 5
  EXPECT_EQ(get("/readyz")->status, 503);
  vidora_.circuit_open_ms = 0;
  EXPECT_EQ(get("/readyz")->status, 200);
  EXPECT_EQ(get("/nope")->status, 404);
}

TEST_F(AdminServerTest, AnAddressInUseIsAStartupError) {
  AdminSettings taken;
  taken.listen = "127.0.0.1:" + std::to_string(server_->port());
  AdminServer second(taken, metrics_, health_);
  EXPECT_THROW(second.start(), std::runtime_error);
}

}  // namespace
}  // namespace cdp_relay::obs
