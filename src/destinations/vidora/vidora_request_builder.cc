#include "destinations/vidora/vidora_request_builder.h"

#include "delivery/url.h"
#include "destinations/vidora/vidora_encoder.h"

namespace cdp_relay::destinations::vidora {

VidoraRequestBuilder::VidoraRequestBuilder(const VidoraSettings& settings)
    : api_key_(settings.api_key),
      escaped_api_key_(delivery::url_escape(settings.api_key)),
      url_(settings.base_url + settings.path + "?api_key=" + escaped_api_key_) {}

size_t VidoraRequestBuilder::framing_bytes(size_t events) const {
  return VidoraEncoder::request_framing_bytes(events);
}

delivery::HttpRequest VidoraRequestBuilder::build(
    const std::vector<delivery::DeliveryItem>& batch) const {
  delivery::HttpRequest request;
  request.method = "POST";
  request.url = url_;
  request.headers = {"Content-Type: application/json", "Expect:"};
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
