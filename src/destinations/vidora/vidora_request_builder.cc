#include "destinations/vidora/vidora_request_builder.h"

#include "destinations/vidora/vidora_encoder.h"

namespace cdp_relay::destinations::vidora {

VidoraRequestBuilder::VidoraRequestBuilder(const VidoraSettings& settings)
    : auth_(settings.auth, "api_key", settings.api_key), url_(settings.base_url + settings.path) {
  auth_.append_to_url(url_);
  headers_ = {"Content-Type: application/json", "Expect:"};
  auth_.add_header(headers_);
}

size_t VidoraRequestBuilder::framing_bytes(size_t events) const {
  return VidoraEncoder::request_framing_bytes(events);
}

delivery::HttpRequest VidoraRequestBuilder::build(
    const std::vector<delivery::DeliveryItem>& batch) const {
  delivery::HttpRequest request;
  request.method = "POST";
  request.url = url_;
  request.headers = headers_;
  size_t size = framing_bytes(batch.size());
  for (const auto& item : batch) size += item.payload.size();
  request.body.reserve(size);
  VidoraEncoder::append_request_body(
      request.body, batch, [](const delivery::DeliveryItem& item) -> const std::string& {
        return item.payload;
      });
  return request;
}

}  // namespace cdp_relay::destinations::vidora
