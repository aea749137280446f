#include "decode/detect.h"

#include "cdp_relay/event.h"

namespace cdp_relay::decode {
namespace {

bool has_array(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::array array;
  return obj.at_key(key).get(array) == simdjson::SUCCESS;
}

bool has_key(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element value;
  return obj.at_key(key).get(value) == simdjson::SUCCESS;
}

bool looks_like_mparticle(simdjson::dom::object obj) {
  return has_array(obj, "events") &&
         (has_key(obj, "mpid") || has_key(obj, "user_identities") || has_key(obj, "environment"));
}

bool has_segment_type(simdjson::dom::object obj) {
  std::string_view type;
  return obj.at_key("type").get(type) == simdjson::SUCCESS && segment_kind_from_type(type);
}

}  // namespace

std::string_view to_string(InputFormat format) {
  switch (format) {
    case InputFormat::kAuto: return "auto";
    case InputFormat::kSegment: return "segment";
    case InputFormat::kMparticle: return "mparticle";
  }
  return "auto";
}

std::optional<InputFormat> input_format_from(std::string_view name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "segment") return InputFormat::kSegment;
  if (name == "mparticle") return InputFormat::kMparticle;
  return std::nullopt;
}

PayloadShape detect_shape(simdjson::dom::element root, InputFormat format) {
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) return PayloadShape::kUnknown;
  switch (format) {
    case InputFormat::kMparticle:
      return has_array(obj, "events") ? PayloadShape::kMparticleBatch : PayloadShape::kUnknown;
    case InputFormat::kSegment:
      return has_array(obj, "batch") ? PayloadShape::kSegmentBatch : PayloadShape::kSegmentMessage;
    case InputFormat::kAuto:
      if (looks_like_mparticle(obj)) return PayloadShape::kMparticleBatch;
      if (has_array(obj, "batch")) return PayloadShape::kSegmentBatch;
      if (has_segment_type(obj)) return PayloadShape::kSegmentMessage;
      return PayloadShape::kUnknown;
  }
  return PayloadShape::kUnknown;
}

}  // namespace cdp_relay::decode
