// librdkafka's own log lines through obs::log (obs/kafka_log.h): a real
// producer pointed at a closed loopback port logs its connection failures,
// and each arrives as a JSON line with the relay's name for the client.
#include "obs/kafka_log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cdp_relay::obs {
namespace {

using namespace std::chrono_literals;

TEST(KafkaLogTest, SyslogLevelsMapToLogLevels) {
  EXPECT_EQ(kafka_log_level(0), LogLevel::kError);
  EXPECT_EQ(kafka_log_level(3), LogLevel::kError);
  EXPECT_EQ(kafka_log_level(4), LogLevel::kWarn);
  EXPECT_EQ(kafka_log_level(5), LogLevel::kInfo);
  EXPECT_EQ(kafka_log_level(6), LogLevel::kInfo);
  EXPECT_EQ(kafka_log_level(7), LogLevel::kDebug);
}

TEST(KafkaLogTest, ConnectionFailuresArriveAsJsonLinesNamingTheClient) {
  std::mutex mu;
  std::vector<std::string> lines;
  // librdkafka logs from its own threads.
  set_log_sink([&](std::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  });
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // Port 1 on loopback: refused at once, no network needed.
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", errstr, sizeof errstr),
            RD_KAFKA_CONF_OK);
  route_kafka_logs(conf);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  ASSERT_NE(producer, nullptr) << errstr;
  name_kafka_client(producer, "dead_letter");

  nlohmann::json failure;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (failure.is_null() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& line : lines) {
      const auto json = nlohmann::json::parse(line);  // throws (fails) if not one JSON object
      if (json.value("facility", "") == "FAIL" && json.value("client", "") == "dead_letter") {
        failure = json;
        break;
      }
    }
  }
  rd_kafka_destroy(producer);
  forget_kafka_client(producer);
  set_log_sink({});
  ASSERT_FALSE(failure.is_null()) << "no FAIL line from librdkafka within 30 s";
  EXPECT_EQ(failure["level"], "error");
  EXPECT_EQ(failure["msg"], "librdkafka FAIL");
  EXPECT_NE(failure["detail"].get<std::string>().find("127.0.0.1:1"), std::string::npos);
}

}  // namespace
}  // namespace cdp_relay::obs
