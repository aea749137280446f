// A Spideo request as a wire event: what the encoder writes for each
// interaction or audience update and the request builder turns into HTTP,
// and what `cdp-relay transform` prints:
//
//   {"method":"PUT","url":"https://acme.spideo.tv/api/...","body":{...}}
//
// The method (PUT, POST or PATCH) and the URL need no escaping in JSON: the
// URL templates are checked at load to hold no quote, backslash, space or
// control character, and every value filled in is percent-encoded. So the
// builder reads both back as written, and the body as its text (which keeps
// the input's numbers as written, beyond what a 64-bit type holds), with no
// JSON parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cdp_relay::destinations::spideo {

struct SpideoWireRequest {
  std::string_view method;
  std::string_view url;
  std::string_view body;  // a JSON object's text
};

// True when `text` can stand in a wire request's JSON string as it is.
bool needs_no_json_escape(std::string_view text);

// Appends one wire request to `out`. REQUIRES: needs_no_json_escape(method)
// and needs_no_json_escape(url); `body` is a JSON object's text.
void write_wire_request(std::string& out, const SpideoWireRequest& request);

// The parts of a wire request written by write_wire_request, viewing
// `payload`; nullopt for anything else.
std::optional<SpideoWireRequest> read_wire_request(std::string_view payload);

}  // namespace cdp_relay::destinations::spideo
