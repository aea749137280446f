#include "route/transform_stage.h"

#include "route/integrations_filter.h"

namespace cdp_relay::route {

TransformStage::TransformStage(decode::DecodeLimits limits,
                               std::vector<std::unique_ptr<EventEncoder>> encoders)
    : decoder_(limits), encoders_(std::move(encoders)) {}

void TransformStage::process(std::string_view bytes, decode::InputFormat format,
                             const Origin& origin, TransformResult& result) {
  decoder_.decode(bytes, format, origin, result.decoded);
  result.outputs.resize(encoders_.size());
  for (size_t d = 0; d < encoders_.size(); ++d) {
    EventEncoder& encoder = *encoders_[d];
    DestinationOutput& output = result.outputs[d];
    output.buffer.clear();
    output.events.clear();
    output.skipped = 0;
    output.filtered = 0;
    const auto& events = result.decoded.events;
    for (uint32_t i = 0; i < events.size(); ++i) {
      if (encoder.honours_integrations() &&
          !integrations_allow(events[i].integrations, encoder.integration_name())) {
        ++output.filtered;
        continue;
      }
      const size_t start = output.buffer.size();
      if (encoder.encode(events[i], output.buffer) == EncodeVerdict::kSkipped) {
        ++output.skipped;
        continue;
      }
      output.events.push_back(EncodedSlice{i, static_cast<uint32_t>(start),
                                           static_cast<uint32_t>(output.buffer.size() - start)});
    }
  }
}

}  // namespace cdp_relay::route
