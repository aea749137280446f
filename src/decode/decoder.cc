#include "decode/decoder.h"

#include <string>

#include "decode/detect.h"
#include "decode/json_fields.h"
#include "decode/mparticle_decoder.h"
#include "decode/segment_decoder.h"

namespace cdp_relay::decode {
namespace {

// Maps simdjson's parse errors onto the stable reason codes.
Reason reason_for_parse_error(simdjson::error_code code) {
  switch (code) {
    case simdjson::DEPTH_ERROR: return Reason::kTooDeep;
    case simdjson::UTF8_ERROR: return Reason::kInvalidUtf8;
    case simdjson::CAPACITY: return Reason::kTooLarge;
    default: return Reason::kInvalidJson;
  }
}

// Initial parse buffer: big enough for typical messages; simdjson grows it on
// demand (keeping the depth limit) up to the parser's max capacity.
constexpr size_t kInitialCapacity = 64 * 1024;

}  // namespace

void reject_message(DecodedMessage& out, Stage stage, Reason reason, std::string message) {
  out.rejections.push_back(
      Rejection{Error{stage, reason, std::move(message), std::nullopt, 0}, 0, true, {}});
}

Decoder::Decoder(DecodeLimits limits) : limits_(limits), parser_(limits.max_message_bytes) {
  // Allocation failure here is a startup error; it throws, which is fine
  // outside the per-event path.
  // simdjson accepts strictly fewer levels than its max_depth (a document as
  // deep as the limit is a DEPTH_ERROR), while DecodeLimits::max_depth is the
  // deepest nesting still accepted: hence the + 1.
  if (parser_.allocate(std::min(kInitialCapacity, limits_.max_message_bytes),
                       limits_.max_depth + 1) !=
      simdjson::SUCCESS) {
    throw std::runtime_error("cannot allocate the JSON parser");
  }
}

simdjson::error_code Decoder::parse(std::string_view bytes, simdjson::dom::element& root) {
  numbers_.reset(bytes);
  // realloc_if_needed copies the bytes into simdjson's padded buffer: Kafka
  // message buffers carry no padding of their own.
  auto code = parser_.parse(bytes.data(), bytes.size(), true).get(root);
  if (code == simdjson::NUMBER_ERROR &&
      numbers_.rewrite_unrepresentable(bytes, rewritten_) > 0) {
    code = parser_.parse(rewritten_.data(), rewritten_.size(), true).get(root);
  }
  return code;
}

void Decoder::decode(std::string_view bytes, InputFormat format, const Origin& origin,
                     DecodedMessage& out) {
  out.clear();
  out.numbers = &numbers_;
  if (bytes.size() > limits_.max_message_bytes) {
    reject_message(out, Stage::kDecode, Reason::kTooLarge,
                   "message is " + std::to_string(bytes.size()) + " bytes, limit is " +
                       std::to_string(limits_.max_message_bytes));
    return;
  }
  simdjson::dom::element root;
  const auto code = parse(bytes, root);
  if (code != simdjson::SUCCESS) {
    reject_message(out, Stage::kDecode, reason_for_parse_error(code),
                   std::string("cannot parse JSON: ") + simdjson::error_message(code));
    return;
  }
  // No unescaped string is longer than the message holding it: below the
  // limit the walk is skipped, so typical messages pay nothing for it.
  const bool check_strings = bytes.size() > limits_.max_string_bytes;
  auto reject_long_string = [&](size_t length) {
    out.rejections.push_back(
        Rejection{string_too_long(length, limits_.max_string_bytes), 0, true, {}});
  };
  const PayloadShape shape = detect_shape(root, format);
  switch (shape) {
    case PayloadShape::kSegmentMessage: {
      if (check_strings) {
        if (size_t length = oversized_string(root, limits_.max_string_bytes)) {
          reject_long_string(length);
          return;
        }
      }
      Origin single = origin;
      single.index = 0;
      if (auto error = decode_segment_message(root.get_object().value_unsafe(), SegmentEnvelope{},
                                              single, out)) {
        out.rejections.push_back(Rejection{std::move(*error), 0, true, {}});
      }
      return;
    }
    case PayloadShape::kSegmentBatch:
    case PayloadShape::kMparticleBatch: {
      const bool segment = shape == PayloadShape::kSegmentBatch;
      const simdjson::dom::object batch = root.get_object().value_unsafe();
      // Strings outside the items reject the whole message; the decoders
      // check each item's own strings.
      if (check_strings) {
        if (size_t length = oversized_string_except(batch, segment ? "batch" : "events",
                                                    limits_.max_string_bytes)) {
          reject_long_string(length);
          return;
        }
      }
      if (segment) {
        decode_segment_batch(batch, origin, limits_, check_strings, out);
      } else {
        decode_mparticle_batch(batch, origin, limits_, check_strings, out);
      }
      return;
    }
    case PayloadShape::kUnknown:
      reject_message(out, Stage::kDecode, Reason::kUnknownFormat,
                     format == InputFormat::kAuto
                         ? "not a Segment message, Segment batch or mParticle batch"
                         : "not a " + std::string(to_string(format)) + " payload");
      return;
  }
}

std::optional<std::string> Decoder::item_value(std::string_view bytes, InputFormat format,
                                               uint32_t index) {
  simdjson::dom::element root;
  if (bytes.size() > limits_.max_message_bytes || parse(bytes, root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return std::nullopt;
  switch (detect_shape(root, format)) {
    case PayloadShape::kSegmentBatch: {
      simdjson::dom::object item;
      auto items = field(object, "batch");
      if (!items || items->at(index).get(item) != simdjson::SUCCESS) return std::nullopt;
      return merged_item_json(item,
                              SegmentEnvelope{object_field(object, "context"),
                                              object_field(object, "integrations")},
                              &numbers_);
    }
    case PayloadShape::kMparticleBatch: {
      simdjson::dom::element event;
      auto events = field(object, "events");
      if (!events || events->at(index).get(event) != simdjson::SUCCESS) return std::nullopt;
      return single_event_batch_json(object, event, &numbers_);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace cdp_relay::decode
