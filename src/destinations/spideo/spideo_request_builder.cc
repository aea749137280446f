#include "destinations/spideo/spideo_request_builder.h"

#include <simdjson.h>

#include "util/json_writer.h"

namespace cdp_relay::destinations::spideo {

SpideoRequestBuilder::SpideoRequestBuilder(const SpideoSettings& settings)
    : auth_(settings.auth, "apikey", settings.api_key) {}

delivery::HttpRequest SpideoRequestBuilder::build(
    const std::vector<delivery::DeliveryItem>& batch) const {
  // The wire event is our own encoder's JSON ({"method","url","body"}), so it
  // always parses; a parser per call keeps the builder const and thread-free.
  simdjson::dom::parser parser;
  simdjson::dom::element request = parser.parse(batch.front().payload).value_unsafe();
  delivery::HttpRequest http;
  http.method = std::string(request["method"].get_string().value_unsafe());
  const std::string_view url = request["url"].get_string().value_unsafe();
  http.url.reserve(url.size() + 64);
  http.url.append(url);
  auth_.append_to_url(http.url);
  simdjson::dom::object body;
  if (request["body"].get(body) == simdjson::SUCCESS && body.size() > 0) {
    util::append_json_object(http.body, body);
    http.headers = {"Content-Type: application/json", "Expect:"};
  } else {
    http.headers = {"Expect:"};  // an empty body still sends Content-Length: 0
  }
  auth_.add_header(http.headers);
  return http;
}

}  // namespace cdp_relay::destinations::spideo
