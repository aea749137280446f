// Spideo's part of delivery: one request per wire event (an interaction or an
// audience update), the api key added as the `apikey` query parameter (or in a
// header, `auth: header`), and the shared status table, the same as Vidora's.
#pragma once

#include <string>

#include "delivery/api_key_auth.h"
#include "delivery/request_builder.h"
#include "destinations/spideo/spideo_config.h"

namespace cdp_relay::destinations::spideo {

class SpideoRequestBuilder final : public delivery::RequestBuilder {
 public:
  explicit SpideoRequestBuilder(const SpideoSettings& settings);

  // REQUIRES: exactly one item (request_limits() tells the engine so).
  delivery::HttpRequest build(const std::vector<delivery::DeliveryItem>& batch) const override;
  size_t framing_bytes(size_t) const override { return 0; }
  // Spideo's API takes one interaction per request (README "Spideo
  // destination"): a batch is one event, and so never waits for a linger.
  delivery::RequestLimits request_limits() const override { return {kEventsPerRequest, 64 * 1024}; }
  const delivery::StatusClassifier& classifier() const override { return classifier_; }
  std::vector<std::string> secrets() const override { return auth_.secrets(); }

 private:
  delivery::ApiKeyAuth auth_;  // holds the key: never logged
  delivery::StatusClassifier classifier_;
};

}  // namespace cdp_relay::destinations::spideo
