#include "decode/json_fields.h"

#include <string>

#include "util/json_lenient.h"

namespace cdp_relay::decode {

std::optional<int64_t> lenient_int_field(simdjson::dom::object obj, std::string_view key) {
  auto value = field(obj, key);
  if (!value) return std::nullopt;
  return util::lenient_int(*value);
}

size_t oversized_string(simdjson::dom::element value, size_t limit) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING: {
      const size_t length = value.get_string_length().value_unsafe();
      return length > limit ? length : 0;
    }
    case simdjson::dom::element_type::ARRAY: {
      // Named, not iterated as value_unsafe() of a temporary result: that
      // reference dies before the loop runs (ASan: stack-use-after-scope).
      const simdjson::dom::array items = value.get_array().value_unsafe();
      for (simdjson::dom::element item : items) {
        if (size_t length = oversized_string(item, limit)) return length;
      }
      return 0;
    }
    case simdjson::dom::element_type::OBJECT:
      return oversized_string_except(value.get_object().value_unsafe(), {}, limit);
    default:
      return 0;
  }
}

size_t oversized_string_except(simdjson::dom::object object, std::string_view skip,
                               size_t limit) {
  for (auto member : object) {
    if (member.key.size() > limit) return member.key.size();
    if (!skip.empty() && member.key == skip) continue;
    if (size_t length = oversized_string(member.value, limit)) return length;
  }
  return 0;
}

std::string_view id_field(simdjson::dom::object obj, std::string_view key, DecodedMessage& out) {
  return id_value(field(obj, key), out);
}

std::string_view id_value(std::optional<simdjson::dom::element> value, DecodedMessage& out) {
  if (!value || value->is_null()) return {};
  std::string_view text;
  if (value->get(text) == simdjson::SUCCESS) return text;
  int64_t signed_id;
  if (value->get(signed_id) == simdjson::SUCCESS) return out.keep(std::to_string(signed_id));
  uint64_t unsigned_id;
  if (value->get(unsigned_id) == simdjson::SUCCESS) return out.keep(std::to_string(unsigned_id));
  return {};
}

}  // namespace cdp_relay::decode
