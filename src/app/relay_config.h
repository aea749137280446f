// The whole configuration: one typed settings struct per stage, assembled.
// Only app/config_loader.cc fills it from YAML; components never see YAML.
#pragma once

#include <string>
#include <vector>

#include "decode/decode_config.h"
#include "destinations/spideo/spideo_config.h"
#include "destinations/vidora/vidora_config.h"
#include "kafka_sinks/kafka_sinks_config.h"
#include "obs/admin_config.h"
#include "obs/log.h"
#include "source/source_config.h"
#include "util/config_errors.h"

namespace cdp_relay::app {

// pipeline: bounds on in-flight work (docs/architecture.md "Delivery semantics").
struct PipelineSettings {
  // Consumed messages not yet fully resolved; above it the consumer pauses.
  // Default 20000. Range >= 1.
  size_t max_inflight_messages = 20000;
  // Their original bytes (kept for the DLQ); above it the consumer pauses.
  // Default 64 MiB. Range >= 1 MiB.
  size_t max_inflight_bytes = 64u << 20;
  // How long a revoke waits for the revoked partitions' in-flight work before
  // committing what is resolved and releasing them. Default 10000. Range >= 0.
  int64_t rebalance_drain_timeout_ms = 10000;
  // HTTP request timeout per attempt. Default 30000. Range >= 100.
  int64_t request_timeout_ms = 30000;
};

struct RelayConfig {
  source::KafkaSettings kafka;
  std::vector<source::SourceTopic> sources;
  decode::DecodeLimits limits;  // `limits` section
  kafka_sinks::DeadLetterSettings dead_letter;
  kafka_sinks::NormalizedSettings normalized;
  destinations::vidora::VidoraSettings vidora;
  destinations::spideo::SpideoSettings spideo;
  obs::AdminSettings admin;
  PipelineSettings pipeline;
  // Seconds to drain in-flight work after SIGTERM. Default 30. Range 1-3600.
  int64_t shutdown_grace_s = 30;
  // Minimum level of the JSON log lines on stderr: debug | info | warn |
  // error. Default info.
  obs::LogLevel log_level = obs::LogLevel::kInfo;

  // Every semantic error, each with its YAML path.
  util::ConfigErrors validate() const;
};

}  // namespace cdp_relay::app
