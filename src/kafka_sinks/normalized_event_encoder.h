// The normalized-events topic as a transform-stage output: every canonical
// event, whatever the integrations object says (it is the customer's own
// Kafka, not a third-party destination).
#pragma once

#include "model/canonical_json.h"
#include "route/event_encoder.h"

namespace cdp_relay::kafka_sinks {

class NormalizedEventEncoder final : public route::EventEncoder {
 public:
  std::string_view destination() const override { return "normalized"; }
  std::string_view integration_name() const override { return {}; }
  RouteDecision encode(const CanonicalEvent& event, route::WireEvents& out) override {
    model::append_canonical_json(out.buffer(), event);
    out.end_event();
    return RouteDecision::kRouted;
  }
};

}  // namespace cdp_relay::kafka_sinks
