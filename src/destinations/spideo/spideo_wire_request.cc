#include "destinations/spideo/spideo_wire_request.h"

namespace cdp_relay::destinations::spideo {
namespace {

constexpr std::string_view kMethodOpen = "{\"method\":\"";
constexpr std::string_view kUrlOpen = "\",\"url\":\"";
constexpr std::string_view kBodyOpen = "\",\"body\":";

// Consumes `prefix` from the front of `text`.
bool consume(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// The string value up to its closing quote, consumed with it left in `text`.
std::optional<std::string_view> unescaped_string(std::string_view& text) {
  const size_t end = text.find('"');
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view value = text.substr(0, end);
  if (!needs_no_json_escape(value)) return std::nullopt;
  text.remove_prefix(end);
  return value;
}

}  // namespace

bool needs_no_json_escape(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || c == '"' || c == '\\') return false;
  }
  return true;
}

void write_wire_request(std::string& out, const SpideoWireRequest& request) {
  out.append(kMethodOpen)
      .append(request.method)
      .append(kUrlOpen)
      .append(request.url)
      .append(kBodyOpen)
      .append(request.body)
      .push_back('}');
}

std::optional<SpideoWireRequest> read_wire_request(std::string_view payload) {
  SpideoWireRequest request;
  if (!consume(payload, kMethodOpen)) return std::nullopt;
  const auto method = unescaped_string(payload);
  if (!method || !consume(payload, kUrlOpen)) return std::nullopt;
  const auto url = unescaped_string(payload);
  if (!url || !consume(payload, kBodyOpen) || !payload.ends_with('}')) return std::nullopt;
  payload.remove_suffix(1);  // the request object's closing brace
  if (payload.size() < 2 || !payload.starts_with('{') || !payload.ends_with('}')) return std::nullopt;
  request.method = *method;
  request.url = *url;
  request.body = payload;
  return request;
}

}  // namespace cdp_relay::destinations::spideo
