#include "app/wiring.h"

#include "destinations/vidora/vidora_event_encoder.h"
#include "destinations/vidora/vidora_request_builder.h"
#include "kafka_sinks/normalized_event_encoder.h"

namespace cdp_relay::app {
namespace {

// Producer settings for the DLQ and normalized topics: the user's pass-through
// keys, with the guarantees DESIGN.md §5 needs on top.
std::map<std::string, std::string> producer_properties(const RelayConfig& config) {
  std::map<std::string, std::string> properties = config.kafka.producer;
  properties["bootstrap.servers"] = config.kafka.brokers;
  properties["enable.idempotence"] = "true";  // implies acks=all, no reordering on retry
  if (!properties.count("linger.ms")) properties["linger.ms"] = "5";
  return properties;
}

delivery::EngineSettings engine_settings(const RelayConfig& config,
                                         const destinations::vidora::VidoraSettings& vidora) {
  delivery::EngineSettings settings;
  settings.destination = "vidora";
  settings.batch = vidora.batch;
  settings.retry = vidora.retry;
  settings.concurrency = vidora.concurrency;
  settings.rate_limit_per_s = vidora.rate_limit_per_s;
  settings.request_timeout = std::chrono::milliseconds(config.pipeline.request_timeout_ms);
  return settings;
}

}  // namespace

Relay::Relay(const RelayConfig& config, Clock& clock, Random& random) : config_(config) {
  const auto properties = producer_properties(config_);
  dead_letters_ = std::make_unique<kafka_sinks::KafkaWriter>(properties, "dead_letter");
  // The first produce to a topic waits for its metadata (DESIGN.md §8): fetch
  // it now so the first dead letter is not slow.
  dead_letters_->warm_up(config_.dead_letter.topic, std::chrono::seconds(5));

  std::vector<std::unique_ptr<route::EventEncoder>> encoders;
  std::vector<OutputRoute> routes;
  if (config_.vidora.enabled) {
    encoders.push_back(std::make_unique<destinations::vidora::VidoraEventEncoder>(config_.vidora));
    engines_.push_back(std::make_unique<delivery::DeliveryEngine>(
        engine_settings(config_, config_.vidora),
        std::make_unique<destinations::vidora::VidoraRequestBuilder>(config_.vidora),
        std::make_unique<delivery::CurlMultiClient>(
            delivery::CurlClientOptions{config_.vidora.tls_verify, 0}),
        clock, random));
    routes.push_back(OutputRoute{engines_.back().get(), nullptr, {}});
  }
  if (config_.normalized.enabled) {
    normalized_ = std::make_unique<kafka_sinks::KafkaWriter>(properties, "normalized");
    normalized_->warm_up(config_.normalized.topic, std::chrono::seconds(5));
    encoders.push_back(std::make_unique<kafka_sinks::NormalizedEventEncoder>());
    routes.push_back(OutputRoute{nullptr, normalized_.get(), config_.normalized.topic});
  }
  transform_ = std::make_unique<route::TransformStage>(config_.limits, std::move(encoders));
  loop_ = std::make_unique<PipelineLoop>(config_, *transform_, std::move(routes), *dead_letters_,
                                         clock);
  std::vector<std::string> topics;
  for (const auto& source : config_.sources) topics.push_back(source.topic);
  source_ = std::make_unique<source::KafkaSource>(config_.kafka, topics, *loop_);
  loop_->attach(*source_);
}

Relay::~Relay() {
  // The consumer goes first: closing it may call back into the loop.
  source_.reset();
}

}  // namespace cdp_relay::app
