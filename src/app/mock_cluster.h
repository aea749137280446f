// An in-process Kafka cluster speaking the real protocol over loopback TCP:
// librdkafka's mock cluster (rdkafka_mock.h). Used by `demo`, the integration
// tests and the benchmarks, since these machines have no Kafka broker.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

namespace cdp_relay::app {

class MockCluster {
 public:
  // Throws std::runtime_error when the cluster cannot be created.
  explicit MockCluster(int brokers = 3);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:port,..." for bootstrap.servers.
  std::string bootstrap_servers() const;
  void create_topic(const std::string& topic, int partitions, int replication = 1);
  rd_kafka_mock_cluster_t* handle() { return cluster_; }

 private:
  rd_kafka_t* owner_ = nullptr;  // the handle the mock cluster lives in
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace cdp_relay::app
