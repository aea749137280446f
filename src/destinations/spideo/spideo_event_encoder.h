// Spideo's EventEncoder. Each wire event is one request, written as
//   {"method":"PUT","url":"https://acme.spideo.tv/api/users/u1/interactions/play/a1","body":{...}}
// without the api key (the request builder adds it), so `cdp-relay transform
// --destination spideo` shows exactly what would be sent, minus the secret.
// One track can be several requests (an order of three products is three
// `buy` interactions).
#pragma once

#include <string>
#include <vector>

#include "destinations/spideo/spideo_config.h"
#include "destinations/spideo/spideo_mapping.h"
#include "route/event_encoder.h"

namespace cdp_relay::destinations::spideo {

class SpideoEventEncoder final : public route::EventEncoder {
 public:
  explicit SpideoEventEncoder(const SpideoSettings& settings)
      : settings_(settings), interactions_(settings.interactions) {}

  std::string_view destination() const override { return "spideo"; }
  std::string_view integration_name() const override { return "Spideo"; }
  RouteDecision encode(const CanonicalEvent& event, route::WireEvents& out) override;

 private:
  RouteDecision encode_interactions(const CanonicalEvent& event, route::WireEvents& out);
  RouteDecision encode_audience(const CanonicalEvent& event, const AudienceUpdate& update,
                                       route::WireEvents& out);
  // Writes one {"method","url","body"} request; `values` fill the URL template.
  void write_request(std::string_view method, std::string_view url_template,
                     std::map<std::string_view, std::string_view>& values, std::string_view body,
                     route::WireEvents& out) const;

  const SpideoSettings& settings_;
  InteractionTable interactions_;
  // Reused across events: the normalized name, the content ids, the body.
  std::string name_scratch_;
  std::vector<std::string> content_ids_;
  std::string body_;
};

}  // namespace cdp_relay::destinations::spideo
