// librdkafka SASL/SSL properties under kafka.consumer and
// kafka.producer reach the handles the relay creates. The assertions read the
// live handles' effective configuration (rd_kafka_conf_dump), not our config
// struct: a property dropped or overridden on the way would fail here.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "app/config_loader.h"
#include "app/wiring.h"
#include "kafka_sinks/kafka_writer.h"
#include "source/kafka_source.h"
#include "util/rdkafka_conf.h"

namespace cdp_relay::app {
namespace {

class NoRebalances : public source::RebalanceListener {
 public:
  void on_assigned(const std::vector<source::TopicPartition>&) override {}
  void on_revoking(const std::vector<source::TopicPartition>&, bool) override {}
};

// Nothing listens on port 1: the handles are created and destroyed without
// ever reaching a broker.
constexpr const char* kSecureConfig = R"(
kafka:
  brokers: "127.0.0.1:1"
  group_id: passthrough-test
  consumer:
    security.protocol: SASL_SSL
    sasl.mechanisms: SCRAM-SHA-512
    sasl.username: relay
    sasl.password: ${KAFKA_SASL_PASSWORD}
    ssl.endpoint.identification.algorithm: https
    enable.auto.offset.store: "true"
  producer:
    security.protocol: SASL_SSL
    sasl.mechanisms: PLAIN
    sasl.username: relay-producer
    sasl.password: ${KAFKA_SASL_PASSWORD}
    compression.type: zstd
sources:
  - topic: raw-events
dead_letter:
  topic: raw-events.dlq
destinations:
  vidora:
    api_key: vk-passthrough
)";

constexpr const char* kPassword = "s3cret-sasl-password";

RelayConfig secure_config() {
  const LoadedConfig loaded = load_config_text(kSecureConfig, [](const std::string& name) {
    return name == "KAFKA_SASL_PASSWORD" ? std::optional<std::string>(kPassword) : std::nullopt;
  });
  EXPECT_TRUE(loaded.errors.empty());
  return loaded.config;
}

// The property's effective value, or "<absent>" (a readable failure instead
// of std::out_of_range).
std::string value_of(const std::map<std::string, std::string>& properties, const std::string& key) {
  auto it = properties.find(key);
  return it == properties.end() ? "<absent>" : it->second;
}

bool contains_secret(const std::map<std::string, std::string>& properties) {
  for (const auto& [key, value] : properties) {
    if (value.find(kPassword) != std::string::npos) return true;
  }
  return false;
}

TEST(KafkaPassthroughTest, ConsumerRunsWithTheSaslSslPropertiesAndOurOffsetStoreGuarantee) {
  const RelayConfig config = secure_config();
  NoRebalances listener;
  source::KafkaSource source(config.kafka, {"raw-events"}, listener);
  const auto effective = source.effective_properties();
  EXPECT_EQ(value_of(effective, "security.protocol"), "sasl_ssl");
  EXPECT_EQ(value_of(effective, "sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(value_of(effective, "sasl.username"), "relay");
  EXPECT_EQ(value_of(effective, "ssl.endpoint.identification.algorithm"), "https");
  EXPECT_EQ(value_of(effective, "group.id"), "passthrough-test");
  // A pass-through key cannot switch off what at-least-once depends on.
  EXPECT_EQ(value_of(effective, "enable.auto.offset.store"), "false");
  // The password was applied (librdkafka accepted it) but is never shown.
  EXPECT_EQ(value_of(effective, "sasl.password"), "[hidden]");
  EXPECT_FALSE(contains_secret(effective));
}

TEST(KafkaPassthroughTest, DeadLetterProducerRunsWithTheSaslSslPropertiesAndIdempotence) {
  const RelayConfig config = secure_config();
  SystemClock clock;
  kafka_sinks::KafkaWriter writer(producer_properties(config), "dead_letter",
                                  config.dead_letter.topic, clock);
  const auto effective = writer.effective_properties();
  EXPECT_EQ(value_of(effective, "security.protocol"), "sasl_ssl");
  EXPECT_EQ(value_of(effective, "sasl.mechanisms"), "PLAIN");
  EXPECT_EQ(value_of(effective, "sasl.username"), "relay-producer");
  EXPECT_EQ(value_of(effective, "compression.codec"), "zstd");  // compression.type's global name
  EXPECT_EQ(value_of(effective, "metadata.broker.list"), "127.0.0.1:1");  // bootstrap.servers
  EXPECT_EQ(value_of(effective, "enable.idempotence"), "true");
  EXPECT_EQ(value_of(effective, "sasl.password"), "[hidden]");
  EXPECT_FALSE(contains_secret(effective));
}

TEST(KafkaPassthroughTest, SensitivePropertyNamesAreRecognized) {
  EXPECT_TRUE(util::is_sensitive_kafka_property("sasl.password"));
  EXPECT_TRUE(util::is_sensitive_kafka_property("ssl.key.password"));
  EXPECT_TRUE(util::is_sensitive_kafka_property("ssl.key.pem"));
  EXPECT_TRUE(util::is_sensitive_kafka_property("sasl.oauthbearer.client.secret"));
  EXPECT_TRUE(util::is_sensitive_kafka_property("sasl.oauthbearer.config"));
  EXPECT_FALSE(util::is_sensitive_kafka_property("sasl.username"));
  EXPECT_FALSE(util::is_sensitive_kafka_property("security.protocol"));
}

}  // namespace
}  // namespace cdp_relay::app
