// Assembles a runnable relay from a RelayConfig. Only construction lives
// here: which stage instances exist and how they are connected. No logic.
// The metrics registry, the health state and the admin server (/metrics,
// /healthz, /readyz on admin.listen) belong to the relay too, so `run`,
// `demo` and in-process tests all serve them.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/relay_config.h"
#include "cdp_relay/clock.h"
#include "delivery/delivery_engine.h"
#include "kafka_sinks/kafka_writer.h"
#include "obs/admin_server.h"
#include "obs/health.h"
#include "obs/metrics.h"
#include "pipeline/pipeline_loop.h"
#include "route/transform_stage.h"
#include "source/kafka_source.h"

namespace cdp_relay::app {

// What a relay counts, as the commands and tests read it (Relay::loop()).
using pipeline::PipelineCounters;

// librdkafka settings of the DLQ and normalized-topic producers: the user's
// `kafka.producer` pass-through keys, with the guarantees at-least-once needs
// (idempotence) on top (docs/architecture.md).
std::map<std::string, std::string> producer_properties(const RelayConfig& config);

class Relay {
 public:
  // Throws std::runtime_error on startup errors (bad librdkafka settings,
  // admin.listen not bindable).
  Relay(const RelayConfig& config, Clock& clock, Random& random);
  ~Relay();

  // See PipelineLoop::run.
  bool run(const std::atomic<bool>& stop) { return loop_->run(stop); }

  pipeline::PipelineLoop& loop() { return *loop_; }
  const std::vector<std::unique_ptr<delivery::DeliveryEngine>>& engines() const { return engines_; }
  kafka_sinks::KafkaWriter& dead_letters() { return *dead_letters_; }
  obs::Metrics& metrics() { return *metrics_; }
  const obs::HealthState& health() const { return health_; }
  // The admin server's bound port (the real one when admin.listen asked for 0).
  int admin_port() const { return admin_->port(); }

 private:
  RelayConfig config_;
  std::unique_ptr<obs::Metrics> metrics_;
  obs::HealthState health_;
  std::unique_ptr<kafka_sinks::KafkaWriter> dead_letters_;
  std::unique_ptr<kafka_sinks::KafkaWriter> normalized_;
  std::vector<std::unique_ptr<delivery::DeliveryEngine>> engines_;
  std::unique_ptr<route::TransformStage> transform_;
  std::unique_ptr<pipeline::PipelineLoop> loop_;
  std::unique_ptr<source::KafkaSource> source_;
  std::unique_ptr<obs::AdminServer> admin_;
};

}  // namespace cdp_relay::app
