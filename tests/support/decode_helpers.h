// Small helpers shared by the decode and destination tests: decode one input
// with a fixed origin, and read JSON views out of canonical events.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "cdp_relay/event.h"
#include "decode/decoder.h"

namespace cdp_relay::testing {

inline Origin test_origin(int64_t offset = 42) {
  Origin origin;
  origin.topic = "raw-events";
  origin.partition = 3;
  origin.offset = offset;
  return origin;
}

// The string value of `key` in a JSON object view, or nullopt.
inline std::optional<std::string> string_at(const JsonObject& object, std::string_view key) {
  if (!object) return std::nullopt;
  std::string_view text;
  if (object->at_key(key).get(text) != simdjson::SUCCESS) return std::nullopt;
  return std::string(text);
}

inline std::optional<std::string> string_at(const LayeredObject& object, std::string_view key) {
  auto value = object.find(key);
  if (!value) return std::nullopt;
  std::string_view text;
  if (value->get(text) != simdjson::SUCCESS) return std::nullopt;
  return std::string(text);
}

// Names of rejection reasons, for readable assertion messages.
inline std::string reasons_of(const decode::DecodedMessage& message) {
  std::string out;
  for (const auto& rejection : message.rejections) {
    if (!out.empty()) out += ",";
    out += std::string(to_string(rejection.error.reason)) + "@" +
           std::to_string(rejection.index) + "(" + rejection.error.message + ")";
  }
  return out;
}

}  // namespace cdp_relay::testing
