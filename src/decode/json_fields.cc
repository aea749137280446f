#include "decode/json_fields.h"

#include <string>

#include "util/json_lenient.h"

namespace cdp_relay::decode {

std::optional<int64_t> lenient_int_field(simdjson::dom::object obj, std::string_view key) {
  auto value = field(obj, key);
  if (!value) return std::nullopt;
  return util::lenient_int(*value);
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
