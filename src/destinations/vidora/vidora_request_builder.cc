#include "destinations/vidora/vidora_request_builder.h"

#include "delivery/url.h"

namespace cdp_relay::destinations::vidora {
namespace {
constexpr std::string_view kBodyPrefix = "{\"data\":[";
constexpr std::string_view kBodySuffix = "]}";
}  // namespace

VidoraRequestBuilder::VidoraRequestBuilder(const VidoraSettings& settings)
    : url_(settings.base_url + settings.path + "?api_key=" + delivery::url_escape(settings.api_key)) {
}

size_t VidoraRequestBuilder::framing_bytes(size_t events) const {
  return kBodyPrefix.size() + kBodySuffix.size() + (events > 0 ? events - 1 : 0);
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
  request.body.append(kBodyPrefix);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i != 0) request.body.push_back(',');
    request.body.append(batch[i].payload);
  }
  request.body.append(kBodySuffix);
  return request;
}

}  // namespace cdp_relay::destinations::vidora
