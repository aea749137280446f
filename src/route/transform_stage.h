// The stateless transform stage: bytes -> decode -> validate -> route ->
// per-destination wire form (docs/architecture.md "Data path").
//
// It owns no Kafka or HTTP: the `transform` command, the pipeline and the
// benchmark all drive it the same way. Everything it returns refers to its own
// buffers and is valid until the next call to process().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "route/event_encoder.h"
#include "route/route_config.h"

namespace cdp_relay::route {

struct TransformResult {
  decode::DecodedMessage decoded;
  std::vector<DestinationOutput> outputs;  // parallel to the stage's destinations
};

// A destination of the transform stage: its encoder and its routing rules.
struct RoutedEncoder {
  std::unique_ptr<EventEncoder> encoder;
  RoutingRules rules;
};

class TransformStage {
 public:
  TransformStage(decode::DecodeLimits limits, std::vector<RoutedEncoder> destinations);
  // Destinations without routing rules (integrations object only).
  TransformStage(decode::DecodeLimits limits, std::vector<std::unique_ptr<EventEncoder>> encoders);

  void process(std::string_view bytes, decode::InputFormat format, const Origin& origin,
               TransformResult& result);

  size_t destination_count() const { return destinations_.size(); }
  const EventEncoder& encoder(size_t i) const { return *destinations_[i].encoder; }

 private:
  decode::Decoder decoder_;
  std::vector<RoutedEncoder> destinations_;
};

}  // namespace cdp_relay::route
