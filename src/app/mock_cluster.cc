#include "app/mock_cluster.h"

#include <stdexcept>

namespace cdp_relay::app {

MockCluster::MockCluster(int brokers) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The owner handle never connects anywhere; it only hosts the mock brokers.
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
  owner_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (owner_ == nullptr) throw std::runtime_error(std::string("mock cluster: ") + errstr);
  cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
  if (cluster_ == nullptr) {
    rd_kafka_destroy(owner_);
    throw std::runtime_error("mock cluster: cannot create");
  }
}

MockCluster::~MockCluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(owner_);
}

std::string MockCluster::bootstrap_servers() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

void MockCluster::create_topic(const std::string& topic, int partitions, int replication) {
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("mock cluster: create topic " + topic + ": " + rd_kafka_err2str(err));
  }
}

}  // namespace cdp_relay::app
