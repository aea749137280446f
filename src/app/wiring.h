// Assembles a runnable relay from a RelayConfig. Only construction lives
// here: which stage instances exist and how they are connected. No logic.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "app/pipeline_loop.h"
#include "app/relay_config.h"
#include "cdp_relay/clock.h"

namespace cdp_relay::app {

class Relay {
 public:
  // Throws std::runtime_error on startup errors (bad librdkafka settings).
  Relay(const RelayConfig& config, Clock& clock, Random& random);
  ~Relay();

  // See PipelineLoop::run.
  bool run(const std::atomic<bool>& stop) { return loop_->run(stop); }

  PipelineLoop& loop() { return *loop_; }
  const std::vector<std::unique_ptr<delivery::DeliveryEngine>>& engines() const { return engines_; }
  kafka_sinks::KafkaWriter& dead_letters() { return *dead_letters_; }

 private:
  RelayConfig config_;
  std::unique_ptr<kafka_sinks::KafkaWriter> dead_letters_;
  std::unique_ptr<kafka_sinks::KafkaWriter> normalized_;
  std::vector<std::unique_ptr<delivery::DeliveryEngine>> engines_;
  std::unique_ptr<route::TransformStage> transform_;
  std::unique_ptr<PipelineLoop> loop_;
  std::unique_ptr<source::KafkaSource> source_;
};

}  // namespace cdp_relay::app
