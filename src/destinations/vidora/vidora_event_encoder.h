// Vidora's EventEncoder: the mapping table plus the flat-object encoder.
#pragma once

#include "destinations/vidora/vidora_encoder.h"
#include "destinations/vidora/vidora_mapping.h"
#include "route/event_encoder.h"

namespace cdp_relay::destinations::vidora {

class VidoraEventEncoder final : public route::EventEncoder {
 public:
  explicit VidoraEventEncoder(const VidoraSettings& settings)
      : encoder_(VidoraEncodeOptions{settings.timestamp_format, settings.personal_data_filtering,
                                     settings.segment_context}) {}

  std::string_view destination() const override { return "vidora"; }
  std::string_view integration_name() const override { return "Vidora"; }
  RouteDecision encode(const CanonicalEvent& event, route::WireEvents& out) override {
    auto type = vidora_type(event);
    if (!type) return RouteDecision::kUnsupportedKind;
    encoder_.encode(event, *type, out.buffer());
    out.end_event();
    if (size_t dropped = encoder_.dropped_values()) out.dropped_values(static_cast<uint32_t>(dropped));
    return RouteDecision::kRouted;
  }

 private:
  VidoraEncoder encoder_;
};

}  // namespace cdp_relay::destinations::vidora
