#include "decode/segment_decoder.h"

#include <string>

#include "decode/json_fields.h"
#include "model/canonical_json.h"
#include "model/message_id.h"
#include "model/timestamp.h"
#include "util/json_writer.h"

namespace cdp_relay::decode {
namespace {

// The members of a Segment message the decoder reads, in one pass.
enum Field : size_t {
  kType, kUserId, kAnonymousId, kTimestamp, kOriginalTimestamp, kReceivedAt, kSentAt, kEvent,
  kName, kCategory, kProperties, kTraits, kGroupId, kPreviousId, kContext, kIntegrations,
  kMessageId, kFieldCount
};
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "type",       "userId", "anonymousId", "timestamp", "originalTimestamp", "receivedAt",
    "sentAt",     "event",  "name",        "category",  "properties",        "traits",
    "groupId",    "previousId", "context", "integrations", "messageId"};
using SegmentFields = FieldSet<kFieldCount>;

// Segment's own precedence: `timestamp` is when the event happened; the others
// are fall-backs that real pipelines see when a client omits it. The first
// field present decides; a present but unparsable one is bad_timestamp rather
// than silently falling through to a less precise clock.
constexpr Field kTimestampFields[] = {kTimestamp, kOriginalTimestamp, kReceivedAt, kSentAt};

std::optional<Error> read_timestamp(const SegmentFields& fields, int64_t& timestamp_ms) {
  for (Field field : kTimestampFields) {
    auto value = fields.get(field);
    if (!value) continue;
    const std::string_view key = kFieldNames[field];
    std::string_view text;
    if (value->get(text) != simdjson::SUCCESS) {
      return validation_error(Reason::kBadTimestamp,
                              std::string(key) + " is not an ISO-8601 string");
    }
    auto parsed = model::parse_iso8601_ms(text);
    if (!parsed) {
      return validation_error(Reason::kBadTimestamp,
                              std::string(key) + " is not a valid ISO-8601 date-time");
    }
    if (!model::is_accepted_event_time(*parsed)) {
      return validation_error(Reason::kBadTimestamp, std::string(key) + " is not " +
                                                         std::string(model::kEventTimeRange));
    }
    timestamp_ms = *parsed;
    return std::nullopt;
  }
  return validation_error(Reason::kMissingTimestamp,
                          "none of timestamp, originalTimestamp, receivedAt, sentAt is set");
}

// Fills `event` (already in out.events) from a message's fields; `out` only
// keeps synthesized strings.
std::optional<Error> fill_segment_event(const SegmentFields& fields, EventKind kind,
                                        const SegmentEnvelope& envelope, const Origin& origin,
                                        DecodedMessage& out, CanonicalEvent& event) {
  event.source_format = SourceFormat::kSegment;
  event.kind = kind;
  event.origin = origin;
  event.numbers = out.numbers;
  event.user_id = id_value(fields.get(kUserId), out);
  event.anonymous_id = id_value(fields.get(kAnonymousId), out);
  if (event.user_id.empty() && event.anonymous_id.empty()) {
    return validation_error(Reason::kMissingIdentity, "neither userId nor anonymousId is set");
  }
  if (auto error = read_timestamp(fields, event.timestamp_ms)) return error;

  switch (kind) {
    case EventKind::kTrack:
      event.name = fields.string(kEvent);
      if (event.name.empty()) {
        return validation_error(Reason::kMissingEventName, "track call without an event name");
      }
      event.properties = fields.object(kProperties);
      break;
    case EventKind::kPage:
      event.name = fields.string(kName);
      event.category = fields.string(kCategory);
      event.properties = fields.object(kProperties);
      break;
    case EventKind::kScreen:
      event.name = fields.string(kName);
      event.properties = fields.object(kProperties);
      break;
    case EventKind::kIdentify:
      event.traits = fields.object(kTraits);
      break;
    case EventKind::kGroup:
      event.group_id = id_value(fields.get(kGroupId), out);
      event.traits = fields.object(kTraits);
      break;
    case EventKind::kAlias:
      event.previous_id = id_value(fields.get(kPreviousId), out);
      break;
    default:
      break;
  }

  event.context = LayeredObject{fields.object(kContext), envelope.context};
  event.integrations = LayeredObject{fields.object(kIntegrations), envelope.integrations};
  event.message_id = fields.string(kMessageId);
  if (event.message_id.empty()) event.message_id = out.keep(model::synthesize_message_id(origin));
  return std::nullopt;
}

}  // namespace

// The DLQ value of a bad batch item: the item with the envelope merged in.
std::string merged_item_json(simdjson::dom::object item, const SegmentEnvelope& envelope,
                             const util::NumberTexts* numbers) {
  std::string out;
  util::JsonObjectWriter writer(out, numbers);
  for (auto member : item) {
    if (member.key == "context" && envelope.context) continue;
    if (member.key == "integrations" && envelope.integrations) continue;
    writer.value_member(member.key, member.value);
  }
  if (envelope.context) {
    writer.key("context");
    model::append_layered_object(
        out, LayeredObject{object_field(item, "context"), envelope.context}, numbers);
  }
  if (envelope.integrations) {
    writer.key("integrations");
    model::append_layered_object(
        out, LayeredObject{object_field(item, "integrations"), envelope.integrations}, numbers);
  }
  writer.close();
  return out;
}


std::optional<Error> decode_segment_message(simdjson::dom::object message,
                                            const SegmentEnvelope& envelope,
                                            const Origin& origin, DecodedMessage& out) {
  SegmentFields fields;
  fields.read(message, kFieldNames);
  const std::string_view type = fields.string(kType);
  const auto kind = segment_kind_from_type(type);
  if (!kind) {
    return validation_error(Reason::kUnsupportedType,
                            type.empty() ? std::string("type is missing or not a string")
                                         : "type '" + std::string(type) + "' is not a Segment call");
  }
  // Built in place and dropped again if invalid: a CanonicalEvent is a few
  // hundred bytes, and building it on the stack would copy it into the
  // vector once per event.
  CanonicalEvent& event = out.events.emplace_back();
  auto error = fill_segment_event(fields, *kind, envelope, origin, out, event);
  if (error) out.events.pop_back();
  return error;
}

void decode_segment_batch(simdjson::dom::object envelope, const Origin& origin,
                          const DecodeLimits& limits, bool check_strings, DecodedMessage& out) {
  // As detect_shape() read it: the last member named `batch`.
  simdjson::dom::array items;
  if (auto value = field(envelope, "batch"); !value || value->get(items) != simdjson::SUCCESS) {
    reject_message(out, Stage::kDecode, Reason::kUnknownFormat, "batch is not an array");
    return;
  }
  if (items.size() > limits.max_batch_items) {
    reject_message(out, Stage::kDecode, Reason::kTooManyItems,
                   "batch has " + std::to_string(items.size()) + " items, limit is " +
                       std::to_string(limits.max_batch_items));
    return;
  }
  const SegmentEnvelope merged{object_field(envelope, "context"),
                               object_field(envelope, "integrations")};
  uint32_t index = 0;
  for (simdjson::dom::element item : items) {
    Origin item_origin = origin;
    item_origin.index = index;
    simdjson::dom::object message;
    std::optional<Error> error;
    const bool is_object = item.get(message) == simdjson::SUCCESS;
    size_t long_string = 0;
    if (check_strings && (long_string = oversized_string(item, limits.max_string_bytes))) {
      error = string_too_long(long_string, limits.max_string_bytes);
    } else if (!is_object) {
      error = Error{Stage::kDecode, Reason::kUnknownFormat, "batch item is not a JSON object",
                    std::nullopt, 0};
    } else {
      error = decode_segment_message(message, merged, item_origin, out);
    }
    if (error) {
      Rejection rejection{std::move(*error), index, false, {}};
      if (is_object) {
        rejection.value = merged_item_json(message, merged, out.numbers);
      } else {
        util::append_json_value(rejection.value, item, out.numbers);
      }
      out.rejections.push_back(std::move(rejection));
    }
    ++index;
  }
}

}  // namespace cdp_relay::decode
