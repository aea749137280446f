#include "destinations/spideo/spideo_mapping.h"

#include <algorithm>

#include "delivery/url.h"
#include "model/timestamp.h"
#include "util/json_writer.h"

namespace cdp_relay::destinations::spideo {
namespace {

std::optional<simdjson::dom::element> member(const JsonObject& object, std::string_view key) {
  simdjson::dom::element value;
  if (!object || object->at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) {
    return std::nullopt;
  }
  return value;
}

std::optional<simdjson::dom::element> member(simdjson::dom::element object, std::string_view key) {
  simdjson::dom::element value;
  if (object.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

// A usable content id: a non-empty string, or an integer in decimal.
std::optional<std::string> id_text(simdjson::dom::element value) {
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) {
    if (text.empty()) return std::nullopt;
    return std::string(text);
  }
  int64_t number;
  if (value.get(number) == simdjson::SUCCESS) return std::to_string(number);
  uint64_t unsigned_number;
  if (value.get(unsigned_number) == simdjson::SUCCESS) return std::to_string(unsigned_number);
  return std::nullopt;
}

void add_id(std::optional<simdjson::dom::element> value, std::vector<std::string>& out) {
  if (!value) return;
  auto id = id_text(*value);
  if (id && std::find(out.begin(), out.end(), *id) == out.end()) out.push_back(std::move(*id));
}

// Where content ids come from, in precedence order (see content_ids_of).
enum class IdSource : uint8_t { kScalar, kArrayOfIds, kArrayOfObjects };
struct ContentIdField {
  std::string_view property;
  IdSource source;
  std::string_view item_key;  // kArrayOfObjects: the id's key in each item
};
constexpr ContentIdField kContentIdFields[] = {
    {"asset_id", IdSource::kScalar, {}},
    {"content_asset_id", IdSource::kScalar, {}},
    {"content_asset_ids", IdSource::kArrayOfIds, {}},
    {"product_id", IdSource::kScalar, {}},
    {"products", IdSource::kArrayOfObjects, "product_id"},
    {"promotion_id", IdSource::kScalar, {}},
};

void collect_ids(const ContentIdField& field, simdjson::dom::element value,
                 std::vector<std::string>& out) {
  if (field.source == IdSource::kScalar) {
    add_id(value, out);
    return;
  }
  simdjson::dom::array items;
  if (value.get(items) != simdjson::SUCCESS) return;
  for (simdjson::dom::element item : items) {
    if (field.source == IdSource::kArrayOfIds) {
      add_id(item, out);
    } else if (item.is_object()) {
      add_id(member(item, field.item_key), out);
    }
  }
}

bool is_separator(char c) { return c == ' ' || c == '_' || c == '-' || c == '\t'; }

}  // namespace

void normalize_event_name(std::string_view name, std::string& out) {
  out.clear();
  bool pending_separator = false;
  for (char c : name) {
    if (is_separator(c)) {
      pending_separator = !out.empty();
      continue;
    }
    if (pending_separator) out.push_back('_');
    pending_separator = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
}

std::string normalized_event_name(std::string_view name) {
  std::string out;
  normalize_event_name(name, out);
  return out;
}

InteractionTable::InteractionTable(const std::map<std::string, std::string>& configured) {
  for (const auto& [name, interaction] : configured) {
    by_normalized_name_.emplace(normalized_event_name(name), interaction);
  }
}

std::optional<std::string_view> InteractionTable::find(std::string_view event_name,
                                                       std::string& scratch) const {
  normalize_event_name(event_name, scratch);
  auto it = by_normalized_name_.find(scratch);
  if (it == by_normalized_name_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::vector<std::string> conflicting_interactions(
    const std::map<std::string, std::string>& table) {
  std::vector<std::string> conflicts;
  std::map<std::string, const std::pair<const std::string, std::string>*> seen;
  for (const auto& entry : table) {
    auto [it, added] = seen.emplace(normalized_event_name(entry.first), &entry);
    if (!added && it->second->second != entry.second) {
      conflicts.push_back("`" + it->second->first + "` and `" + entry.first +
                          "` are the same event name (names match case-insensitively, "
                          "spaces = underscores) with different interactions");
    }
  }
  return conflicts;
}

void content_ids_of(const CanonicalEvent& event, std::vector<std::string>& out) {
  out.clear();
  for (const ContentIdField& field : kContentIdFields) {
    if (auto value = member(event.properties, field.property)) collect_ids(field, *value, out);
    if (!out.empty()) return;
  }
}

void append_interaction_body(std::string& out, const CanonicalEvent& event) {
  util::JsonObjectWriter body(out, event.numbers);  // numbers as written
  body.key("timestamp");
  out.push_back('"');
  model::append_iso8601_ms(out, event.timestamp_ms);
  out.push_back('"');
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
      device = member(*context_device, "type");
    }
  }
  if (device) body.value_member("device", *device);
  body.close();
}

AudienceMatch engage_audience_of(const CanonicalEvent& event, std::string& scratch,
                                 AudienceUpdate& update) {
  auto personas = event.context.find("personas");
  if (!personas || !personas->is_object()) return AudienceMatch::kNotEngage;
  std::string_view computation_class;
  std::string_view key;
  if (personas->at_key("computation_class").get(computation_class) != simdjson::SUCCESS ||
      computation_class != "audience" ||
      personas->at_key("computation_key").get(key) != simdjson::SUCCESS || key.empty()) {
    return AudienceMatch::kNotEngage;
  }
  update.property = key;
  if (event.kind == EventKind::kIdentify) {
    auto trait = member(event.traits, key);
    if (!trait || trait->get(update.member) != simdjson::SUCCESS) return AudienceMatch::kNoValue;
    return AudienceMatch::kUpdate;
  }
  if (event.kind != EventKind::kTrack) return AudienceMatch::kNotEngage;
  normalize_event_name(event.name, scratch);
  if (scratch == "audience_entered" || scratch == "audience_exited") {
    update.member = scratch == "audience_entered";
    return AudienceMatch::kUpdate;
  }
  return AudienceMatch::kNotEngage;
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

}  // namespace cdp_relay::destinations::spideo
