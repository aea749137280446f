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

// The default of pipeline.max_inflight_messages: twice the events the
// enabled HTTP destinations can have in requests at their concurrency
// ceilings (concurrency.max x events per request), and at least
// pipeline::kMinDefaultInflightMessages. By Little's law a destination at its ceiling
// holds that many events in requests; about as many again wait meanwhile, for
// their user's batch in flight or for a batch's linger. A bound below that
// caps throughput against a slow destination (docs/scaling.md); a message
// holds one event or more, so as a message bound it errs high, and
// max_inflight_bytes still bounds the memory.
size_t derived_max_inflight_messages(const RelayConfig& config);

}  // namespace cdp_relay::app
