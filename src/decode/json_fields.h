// Checked, lenient field accessors shared by the format decoders.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string_view>

#include "cdp_relay/event.h"
#include "decode/decoder.h"

namespace cdp_relay::decode {

// The member `key` if present and not null.
inline std::optional<simdjson::dom::element> field(simdjson::dom::object obj,
                                                   std::string_view key) {
  simdjson::dom::element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS || value.is_null()) return std::nullopt;
  return value;
}

// The member `key` if it is a string; empty otherwise.
inline std::string_view string_field(simdjson::dom::object obj, std::string_view key) {
  std::string_view text;
  if (obj.at_key(key).get(text) != simdjson::SUCCESS) return {};
  return text;
}

// The member `key` if it is an object.
inline JsonObject object_field(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::object value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
  return value;
}

// The member `key` as a signed integer, accepting whole doubles and decimal
// strings ("1700000000000"), as producers disagree on the type.
std::optional<int64_t> lenient_int_field(simdjson::dom::object obj, std::string_view key);

// Reads an id that producers send as a string or an integer (Segment userId,
// mParticle mpid). Integers are rendered in decimal into `out`'s arena.
// Returns empty for absent, null, empty or non-scalar values.
std::string_view id_field(simdjson::dom::object obj, std::string_view key, DecodedMessage& out);

}  // namespace cdp_relay::decode
