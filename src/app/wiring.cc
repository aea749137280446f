#include "app/wiring.h"

#include "cdp_relay/version.h"
#include "delivery/curl_http_client.h"

#include "destinations/spideo/spideo_event_encoder.h"
#include "destinations/spideo/spideo_request_builder.h"
#include "destinations/vidora/vidora_event_encoder.h"
#include "destinations/vidora/vidora_request_builder.h"
#include "kafka_sinks/dead_letter.h"
#include "kafka_sinks/normalized_event_encoder.h"

namespace cdp_relay::app {

std::map<std::string, std::string> producer_properties(const RelayConfig& config) {
  std::map<std::string, std::string> properties = config.kafka.producer;
  properties["bootstrap.servers"] = config.kafka.brokers;
  properties["enable.idempotence"] = "true";  // implies acks=all, no reordering on retry
  if (!properties.count("linger.ms")) properties["linger.ms"] = "5";
  return properties;
}

namespace {

delivery::EngineSettings engine_settings(const RelayConfig& config, std::string destination,
                                         const delivery::BatchSettings& batch,
                                         const delivery::RetrySettings& retry,
                                         const delivery::ConcurrencySettings& concurrency,
                                         double rate_limit_per_s) {
  delivery::EngineSettings settings;
  settings.destination = std::move(destination);
  settings.batch = batch;
  settings.retry = retry;
  settings.concurrency = concurrency;
  settings.rate_limit_per_s = rate_limit_per_s;
  settings.request_timeout = std::chrono::milliseconds(config.pipeline.request_timeout_ms);
  return settings;
}

pipeline::LoopSettings loop_settings(const RelayConfig& config) {
  pipeline::LoopSettings settings;
  settings.bounds = config.pipeline;
  settings.shutdown_grace = std::chrono::seconds(config.shutdown_grace_s);
  for (const auto& source : config.sources) settings.topic_formats[source.topic] = source.format;
  settings.limits = config.limits;
  return settings;
}

}  // namespace

Relay::Relay(const RelayConfig& config, Clock& clock, Random& random)
    : config_(config), metrics_(std::make_unique<obs::Metrics>(kVersion)) {
  const auto properties = producer_properties(config_);
  dead_letters_ = std::make_unique<kafka_sinks::KafkaWriter>(
      properties, "dead_letter", config_.dead_letter.topic, clock,
      &metrics_->kafka_sink("dead_letter"));
  // The first produce to a topic waits for its metadata (a broker round trip): fetch
  // it now so the first dead letter is not slow.
  dead_letters_->warm_up(std::chrono::seconds(5));

  std::vector<route::RoutedEncoder> destinations;
  std::vector<pipeline::Route> routes;
  // One engine per HTTP destination; the destination contributes only its
  // encoder (mapping) and request builder (wire format + status table).
  auto add_http_destination = [&](delivery::EngineSettings settings,
                                  std::unique_ptr<route::EventEncoder> encoder,
                                  std::unique_ptr<delivery::RequestBuilder> builder,
                                  delivery::CurlClientOptions transport,
                                  const route::RoutingRules& rules) {
    const std::string name = settings.destination;
    destinations.push_back(route::RoutedEncoder{std::move(encoder), rules});
    engines_.push_back(std::make_unique<delivery::DeliveryEngine>(
        std::move(settings), std::move(builder),
        std::make_unique<delivery::CurlMultiClient>(std::move(transport)),
        clock, random, &metrics_->delivery(name)));
    routes.push_back(pipeline::Route{engines_.back().get(), &metrics_->route(name),
                                     &health_.add_destination(name)});
  };
  if (config_.vidora.enabled) {
    add_http_destination(
        engine_settings(config_, "vidora", config_.vidora.batch, config_.vidora.retry,
                        config_.vidora.concurrency, config_.vidora.rate_limit_per_s),
        std::make_unique<destinations::vidora::VidoraEventEncoder>(config_.vidora),
        std::make_unique<destinations::vidora::VidoraRequestBuilder>(config_.vidora),
        delivery::CurlClientOptions{config_.vidora.tls, config_.vidora.proxy, 0},
        config_.vidora.routing);
  }
  if (config_.spideo.enabled) {
    add_http_destination(
        // Spideo has no batch settings: the default ones, bounded by what its
        // API takes per request (SpideoRequestBuilder::request_limits).
        engine_settings(config_, "spideo", delivery::BatchSettings{}, config_.spideo.retry,
                        config_.spideo.concurrency, config_.spideo.rate_limit_per_s),
        std::make_unique<destinations::spideo::SpideoEventEncoder>(config_.spideo),
        std::make_unique<destinations::spideo::SpideoRequestBuilder>(config_.spideo),
        delivery::CurlClientOptions{config_.spideo.tls, config_.spideo.proxy, 0},
        config_.spideo.routing);
  }
  if (config_.normalized.enabled) {
    normalized_ = std::make_unique<kafka_sinks::KafkaWriter>(
        properties, "normalized", config_.normalized.topic, clock,
        &metrics_->kafka_sink("normalized"));
    normalized_->warm_up(std::chrono::seconds(5));
    destinations.push_back(
        route::RoutedEncoder{std::make_unique<kafka_sinks::NormalizedEventEncoder>(), {}});
    routes.push_back(pipeline::Route{normalized_.get(), &metrics_->route("normalized"), nullptr});
  }
  transform_ = std::make_unique<route::TransformStage>(config_.limits, std::move(destinations));
  loop_ = std::make_unique<pipeline::PipelineLoop>(
      loop_settings(config_), *transform_, std::move(routes),
      pipeline::DeadLetterRoute{dead_letters_.get(), &kafka_sinks::dead_letter_headers}, clock,
      pipeline::LoopObservability{&metrics_->source(), &metrics_->transform(), &health_});
  std::vector<std::string> topics;
  for (const auto& source : config_.sources) topics.push_back(source.topic);
  source_ = std::make_unique<source::KafkaSource>(config_.kafka, topics, *loop_,
                                                  &metrics_->source());
  loop_->attach(*source_);
  admin_ = std::make_unique<obs::AdminServer>(config_.admin, *metrics_, health_);
  admin_->start();
}

Relay::~Relay() {
  // The admin server reads state owned here: stop it first. Then the
  // consumer: closing it may call back into the loop, and destroying it
  // waits for every librdkafka message still alive, so the loop lets go of
  // the ones it holds first.
  if (admin_) admin_->stop();
  if (loop_) loop_->detach_consumer_messages();
  source_.reset();
}

}  // namespace cdp_relay::app
