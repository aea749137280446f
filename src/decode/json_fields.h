// Checked, lenient field accessors shared by the format decoders.
#pragma once

#include <simdjson.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "cdp_relay/error.h"
#include "cdp_relay/event.h"
#include "decode/decoder.h"
#include "util/json_lenient.h"
#include "util/word_load.h"

namespace cdp_relay::decode {

// A validation-stage error (the shared shape of every decoder's rejections).
inline Error validation_error(Reason reason, std::string message) {
  return Error{Stage::kValidate, reason, std::move(message), std::nullopt, 0};
}

// Every accessor reads the last member of a repeated name, as JavaScript
// clients do.

// The member `key` if present and not null.
inline std::optional<simdjson::dom::element> field(simdjson::dom::object obj,
                                                   std::string_view key) {
  return util::present_member(obj, key);
}

// The member `key` if it is a string; empty otherwise.
inline std::string_view string_field(simdjson::dom::object obj, std::string_view key) {
  std::string_view text;
  auto value = util::last_member(obj, key);
  if (!value || value->get(text) != simdjson::SUCCESS) return {};
  return text;
}

// The member `key` if it is an object.
inline JsonObject object_field(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::object object;
  auto value = util::last_member(obj, key);
  if (!value || value->get(object) != simdjson::SUCCESS) return std::nullopt;
  return object;
}

// The member `key` as a signed integer, accepting whole doubles and decimal
// strings ("1700000000000"), as producers disagree on the type.
std::optional<int64_t> lenient_int_field(simdjson::dom::object obj, std::string_view key);

// Reads the members named in `Keys` in one pass over an object, instead of
// one linear at_key() scan per field: a Segment message is read with ~15
// lookups over ~12 members, and the single pass halves the decode cost of that
// part. Null members count as absent; the last occurrence of a key wins.
template <size_t N>
struct FieldSet {
  std::array<std::optional<simdjson::dom::element>, N> values{};

  void read(simdjson::dom::object obj, const std::array<std::string_view, N>& keys) {
    for (auto member : obj) {
      const std::string_view key = member.key;
      for (size_t i = 0; i < N; ++i) {
        if (util::equal_bytes(key, keys[i])) {
          if (member.value.is_null()) {
            values[i].reset();
          } else {
            values[i] = member.value;
          }
          break;
        }
      }
    }
  }
  std::optional<simdjson::dom::element> get(size_t i) const { return values[i]; }
  std::string_view string(size_t i) const {
    std::string_view text;
    if (!values[i] || values[i]->get(text) != simdjson::SUCCESS) return {};
    return text;
  }
  JsonObject object(size_t i) const {
    simdjson::dom::object value;
    if (!values[i] || values[i]->get(value) != simdjson::SUCCESS) return std::nullopt;
    return value;
  }
  bool is_array(size_t i) const { return values[i] && values[i]->is_array(); }
};

// The length of the first string (a value or a member name) inside `value`
// that is longer than `limit` bytes, or 0 when there is none
// (DecodeLimits::max_string_bytes). Recurses at most as deep as the parser
// allowed (DecodeLimits::max_depth).
size_t oversized_string(simdjson::dom::element value, size_t limit);
// The same over the members of `object` other than `skip` (a batch's items,
// which are checked one by one so that one long string rejects one item).
size_t oversized_string_except(simdjson::dom::object object, std::string_view skip,
                               size_t limit);
// The rejection for a string over DecodeLimits::max_string_bytes.
inline Error string_too_long(size_t length, size_t limit) {
  return Error{Stage::kDecode, Reason::kTooLarge,
               "a string is " + std::to_string(length) + " bytes, limit is " +
                   std::to_string(limit),
               std::nullopt, 0};
}

// An id value (string or integer) as text; integers go to `out`'s arena.
std::string_view id_value(std::optional<simdjson::dom::element> value, DecodedMessage& out);

// Reads an id that producers send as a string or an integer (Segment userId,
// mParticle mpid). Integers are rendered in decimal into `out`'s arena.
// Returns empty for absent, null, empty or non-scalar values.
std::string_view id_field(simdjson::dom::object obj, std::string_view key, DecodedMessage& out);

}  // namespace cdp_relay::decode
