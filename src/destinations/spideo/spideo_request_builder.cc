#include "destinations/spideo/spideo_request_builder.h"

#include <simdjson.h>

#include "util/json_writer.h"

namespace cdp_relay::destinations::spideo {

SpideoRequestBuilder::SpideoRequestBuilder(const SpideoSettings& settings)
    : auth_(settings.auth, "apikey", settings.api_key) {}

delivery::HttpRequest SpideoRequestBuilder::build(
    const std::vector<delivery::DeliveryItem>& batch) const {
  // The wire event is our own encoder's JSON, {"method":...,"url":...,
  // "body":{...}} in that order. The body goes out as its text: it carries
  // the input's numbers as written, which may be beyond what a 64-bit type
  // holds and so beyond what simdjson parses. `,"body":` with unescaped
  // quotes cannot occur inside the method or URL strings, so it marks where
  // the body starts. A parser per call keeps the builder const and
  // thread-free.
  const std::string_view payload = batch.front().payload;
  constexpr std::string_view kBodyMarker = ",\"body\":";
  const size_t body_at = payload.find(kBodyMarker);
  std::string head(payload.substr(0, body_at));
  head.push_back('}');
  simdjson::dom::parser parser;
  simdjson::dom::element request = parser.parse(head).value_unsafe();
  delivery::HttpRequest http;
  http.method = std::string(request["method"].get_string().value_unsafe());
  const std::string_view url = request["url"].get_string().value_unsafe();
  http.url.reserve(url.size() + 64);
  http.url.append(url);
  auth_.append_to_url(http.url);
  std::string_view body;
  if (body_at != std::string_view::npos) {
    body = payload.substr(body_at + kBodyMarker.size());
    body.remove_suffix(1);  // the request object's closing brace
  }
  if (!body.empty() && body != "{}") {
    http.body.assign(body);
    http.headers = {"Content-Type: application/json", "Expect:"};
  } else {
    http.headers = {"Expect:"};  // an empty body still sends Content-Length: 0
  }
  auth_.add_header(http.headers);
  return http;
}

}  // namespace cdp_relay::destinations::spideo
