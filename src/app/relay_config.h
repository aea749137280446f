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
#include "pipeline/pipeline_config.h"
#include "source/source_config.h"
#include "util/config_errors.h"

namespace cdp_relay::app {

struct RelayConfig {
  source::KafkaSettings kafka;
  std::vector<source::SourceTopic> sources;
  decode::DecodeLimits limits;  // `limits` section
  kafka_sinks::DeadLetterSettings dead_letter;
  kafka_sinks::NormalizedSettings normalized;
  destinations::vidora::VidoraSettings vidora;
  destinations::spideo::SpideoSettings spideo;
  obs::AdminSettings admin;
  pipeline::PipelineSettings pipeline;
  // Seconds to drain in-flight work after SIGTERM. Default 30. Range 1-3600.
  int64_t shutdown_grace_s = 30;
  // Minimum level of the JSON log lines on stderr: debug | info | warn |
  // error. Default info.
  obs::LogLevel log_level = obs::LogLevel::kInfo;

  // Every semantic error, each with its YAML path.
  util::ConfigErrors validate() const;
};

}  // namespace cdp_relay::app
