// Spideo's EventEncoder. Each wire event is one request, written as
//   {"method":"PUT","url":"https://acme.spideo.tv/api/users/u1/interactions/play/a1","body":{...}}
// without the api key (the request builder adds it), so `cdp-relay transform
// --destination spideo` shows exactly what would be sent, minus the secret.
#pragma once

#include "destinations/spideo/spideo_config.h"
#include "route/event_encoder.h"

namespace cdp_relay::destinations::spideo {

class SpideoEventEncoder final : public route::EventEncoder {
 public:
  explicit SpideoEventEncoder(const SpideoSettings& settings) : settings_(settings) {}

  std::string_view destination() const override { return "spideo"; }
  std::string_view integration_name() const override { return "Spideo"; }
  route::RouteDecision encode(const CanonicalEvent& event, route::WireEvents& out) override;

 private:
  route::RouteDecision encode_interaction(const CanonicalEvent& event, route::WireEvents& out);
  route::RouteDecision encode_audiences(const CanonicalEvent& event, route::WireEvents& out);

  const SpideoSettings& settings_;
};

}  // namespace cdp_relay::destinations::spideo
