#include "destinations/spideo/spideo_mapping.h"

#include "delivery/url.h"
#include "util/json_writer.h"

namespace cdp_relay::destinations::spideo {
namespace {

constexpr std::string_view kContentIdFields[] = {"asset_id", "content_asset_id", "product_id"};

std::optional<simdjson::dom::element> member(const JsonObject& object, std::string_view key) {
  simdjson::dom::element value;
  if (!object || object->at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<std::string_view> interaction_for(std::string_view event_name,
                                                const std::map<std::string, std::string>& table) {
  auto it = table.find(std::string(event_name));
  if (it == table.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::string> content_id_of(const CanonicalEvent& event) {
  for (std::string_view key : kContentIdFields) {
    auto value = member(event.properties, key);
    if (!value) continue;
    std::string_view text;
    if (value->get(text) == simdjson::SUCCESS) {
      if (!text.empty()) return std::string(text);
      continue;
    }
    int64_t number;
    if (value->get(number) == simdjson::SUCCESS) return std::to_string(number);
    uint64_t unsigned_number;
    if (value->get(unsigned_number) == simdjson::SUCCESS) return std::to_string(unsigned_number);
  }
  return std::nullopt;
}

void append_interaction_body(std::string& out, const CanonicalEvent& event) {
  util::JsonObjectWriter body(out);
  for (std::string_view key : {std::string_view("origin"), std::string_view("distributions")}) {
    auto value = member(event.properties, key);
    if (!value) {
      if (auto from_context = event.context.find(key); from_context && !from_context->is_null()) {
        value = from_context;
      }
    }
    if (value) body.value_member(key, *value);
  }
  auto device = member(event.properties, "device");
  if (!device) {
    // Segment's context.device is an object; its `type` is the device class.
    if (auto context_device = event.context.find("device")) {
      simdjson::dom::element type;
      if (context_device->at_key("type").get(type) == simdjson::SUCCESS && !type.is_null()) {
        device = type;
      }
    }
  }
  if (device) body.value_member("device", *device);
  body.close();
}

std::string fill_url_template(std::string_view url_template,
                              const std::map<std::string_view, std::string_view>& values) {
  std::string url;
  url.reserve(url_template.size() + 64);
  size_t i = 0;
  while (i < url_template.size()) {
    const size_t open = url_template.find('{', i);
    if (open == std::string_view::npos) break;
    const size_t close = url_template.find('}', open);
    if (close == std::string_view::npos) break;
    url.append(url_template.substr(i, open - i));
    const std::string_view name = url_template.substr(open + 1, close - open - 1);
    auto it = values.find(name);
    if (it == values.end()) {
      url.append(url_template.substr(open, close - open + 1));
    } else {
      // Every value is percent-encoded: "../", spaces and unicode in ids can
      // never change the path's shape.
      url.append(delivery::url_escape(it->second));
    }
    i = close + 1;
  }
  url.append(url_template.substr(i));
  return url;
}

bool is_audience_name(std::string_view trait) {
  if (trait.empty() || trait.front() < 'a' || trait.front() > 'z') return false;
  for (char c : trait) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace cdp_relay::destinations::spideo
