#include "decode/detect.h"

#include <array>

#include "cdp_relay/event.h"
#include "decode/json_fields.h"

namespace cdp_relay::decode {
namespace {

// mParticle's markers count even when null (`"user_identities": null`).
bool has_mparticle_marker(simdjson::dom::object obj) {
  return obj.at_key("mpid").error() == simdjson::SUCCESS ||
         obj.at_key("user_identities").error() == simdjson::SUCCESS ||
         obj.at_key("environment").error() == simdjson::SUCCESS;
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
  // One pass over the top-level members rather than an at_key() scan per rule.
  enum : size_t { kEvents, kBatch, kType, kCount };
  static constexpr std::array<std::string_view, kCount> kKeys = {"events", "batch", "type"};
  FieldSet<kCount> fields;
  fields.read(obj, kKeys);
  const bool events = fields.is_array(kEvents);
  const bool batch = fields.is_array(kBatch);
  switch (format) {
    case InputFormat::kMparticle:
      return events ? PayloadShape::kMparticleBatch : PayloadShape::kUnknown;
    case InputFormat::kSegment:
      return batch ? PayloadShape::kSegmentBatch : PayloadShape::kSegmentMessage;
    case InputFormat::kAuto:
      if (events && has_mparticle_marker(obj)) return PayloadShape::kMparticleBatch;
      if (batch) return PayloadShape::kSegmentBatch;
      if (segment_kind_from_type(fields.string(kType))) return PayloadShape::kSegmentMessage;
      return PayloadShape::kUnknown;
  }
  return PayloadShape::kUnknown;
}

}  // namespace cdp_relay::decode
