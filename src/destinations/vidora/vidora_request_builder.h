// Vidora's part of delivery: the request for a batch and the status table.
// Wire-format assumptions (DESIGN.md §3, each a config key): POST
// {base_url}{path}?api_key=KEY with body {"data":[event,...]}.
#pragma once

#include <string>

#include "delivery/request_builder.h"
#include "destinations/vidora/vidora_config.h"

namespace cdp_relay::destinations::vidora {

class VidoraRequestBuilder final : public delivery::RequestBuilder {
 public:
  explicit VidoraRequestBuilder(const VidoraSettings& settings);

  delivery::HttpRequest build(const std::vector<delivery::DeliveryItem>& batch) const override;
  size_t framing_bytes(size_t events) const override;
  const delivery::StatusClassifier& classifier() const override { return classifier_; }
  std::vector<std::string> secrets() const override { return {api_key_, escaped_api_key_}; }

 private:
  std::string api_key_;          // secret: never logged
  std::string escaped_api_key_;
  std::string url_;  // carries the api key: never logged
  delivery::StatusClassifier classifier_;  // the default table of DESIGN.md §3
};

}  // namespace cdp_relay::destinations::vidora
