#include "destinations/spideo/spideo_request_builder.h"

#include "destinations/spideo/spideo_wire_request.h"

namespace cdp_relay::destinations::spideo {

SpideoRequestBuilder::SpideoRequestBuilder(const SpideoSettings& settings)
    : auth_(settings.auth, "apikey", settings.api_key) {}

delivery::HttpRequest SpideoRequestBuilder::build(
    const std::vector<delivery::DeliveryItem>& batch) const {
  delivery::HttpRequest http;
  const auto request = read_wire_request(batch.front().payload);
  // Our encoder wrote it (spideo_wire_request.h); anything else would be a
  // bug. It then goes out with an empty URL, which curl refuses: retried,
  // then dead-lettered, never lost.
  if (!request) return http;
  http.method = std::string(request->method);
  http.url.reserve(request->url.size() + 64);
  http.url.append(request->url);
  auth_.append_to_url(http.url);
  if (request->body != "{}") {
    http.body.assign(request->body);
    http.headers = {"Content-Type: application/json", "Expect:"};
  } else {
    http.headers = {"Expect:"};  // an empty body still sends Content-Length: 0
  }
  auth_.add_header(http.headers);
  return http;
}

}  // namespace cdp_relay::destinations::spideo
