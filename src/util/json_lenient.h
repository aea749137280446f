// Lenient readers for scalars that producers disagree on the type of:
// `"consented": "true"`, `"timestamp_unixtime_ms": "1700000000000"`.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/word_load.h"

namespace cdp_relay::util {

// The value of the last member named `key`, as JavaScript reads an object
// with repeated names (`{"a":1,"a":2}` is a = 2), where simdjson's at_key()
// finds the first. Null values are returned as they are.
inline std::optional<simdjson::dom::element> last_member(simdjson::dom::object object,
                                                         std::string_view key) {
  std::optional<simdjson::dom::element> found;
  for (auto member : object) {
    if (equal_bytes(member.key, key)) found = member.value;
  }
  return found;
}

// last_member(), unless the member is absent or null: "not set", as
// producers mean a null field.
inline std::optional<simdjson::dom::element> present_member(simdjson::dom::object object,
                                                            std::string_view key) {
  auto value = last_member(object, key);
  if (!value || value->is_null()) return std::nullopt;
  return value;
}

// true/false, "true"/"false" (any common case), "1"/"0", or an integer.
std::optional<bool> lenient_bool(simdjson::dom::element value);

// An integer, a whole double, or a decimal string.
std::optional<int64_t> lenient_int(simdjson::dom::element value);

}  // namespace cdp_relay::util
