// Vidora's part of delivery: the request for a batch and the status table.
// Wire-format assumptions (README "Vidora wire format: assumptions", each a config key): POST
// {base_url}{path}?api_key=KEY with body {"data":[event,...]}; with
// `auth: header` the key goes in a header instead of the query.
#pragma once

#include <string>

#include "delivery/api_key_auth.h"
#include "delivery/request_builder.h"
#include "destinations/vidora/vidora_config.h"

namespace cdp_relay::destinations::vidora {

class VidoraRequestBuilder final : public delivery::RequestBuilder {
 public:
  explicit VidoraRequestBuilder(const VidoraSettings& settings);

  delivery::HttpRequest build(const std::vector<delivery::DeliveryItem>& batch) const override;
  size_t framing_bytes(size_t events) const override;
  const delivery::StatusClassifier& classifier() const override { return classifier_; }
  std::vector<std::string> secrets() const override { return auth_.secrets(); }

 private:
  delivery::ApiKeyAuth auth_;
  std::string url_;                   // may carry the api key: never logged
  std::vector<std::string> headers_;  // may carry the api key: never logged
  delivery::StatusClassifier classifier_;  // the default status table
};

}  // namespace cdp_relay::destinations::vidora
