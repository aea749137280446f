#include "route/transform_stage.h"

#include "route/router.h"

namespace cdp_relay::route {
namespace {

std::vector<RoutedEncoder> without_rules(std::vector<std::unique_ptr<EventEncoder>> encoders) {
  std::vector<RoutedEncoder> destinations;
  for (auto& encoder : encoders) destinations.push_back(RoutedEncoder{std::move(encoder), {}});
  return destinations;
}

}  // namespace

TransformStage::TransformStage(decode::DecodeLimits limits, std::vector<RoutedEncoder> destinations)
    : decoder_(limits), destinations_(std::move(destinations)) {}

TransformStage::TransformStage(decode::DecodeLimits limits,
                               std::vector<std::unique_ptr<EventEncoder>> encoders)
    : TransformStage(limits, without_rules(std::move(encoders))) {}

void TransformStage::process(std::string_view bytes, decode::InputFormat format,
                             const Origin& origin, TransformResult& result) {
  decoder_.decode(bytes, format, origin, result.decoded);
  result.outputs.resize(destinations_.size());
  const auto& events = result.decoded.events;
  for (size_t d = 0; d < destinations_.size(); ++d) {
    EventEncoder& encoder = *destinations_[d].encoder;
    const RoutingRules& rules = destinations_[d].rules;
    DestinationOutput& output = result.outputs[d];
    output.clear();
    for (uint32_t i = 0; i < events.size(); ++i) {
      RouteDecision decision = route_event(events[i], rules, encoder.integration_name());
      if (decision == RouteDecision::kRouted) {
        WireEvents wire(output, i);
        decision = encoder.encode(events[i], wire);
      }
      ++output.decisions[static_cast<size_t>(decision)];
      if (decision == RouteDecision::kRouted) continue;
      output.notes.push_back(EventNote{i, decision, 0});
      if (is_filter(decision)) {
        ++output.filtered;
      } else {
        ++output.skipped;
      }
    }
  }
}

}  // namespace cdp_relay::route
