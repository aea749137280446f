#include "decode/mparticle_decoder.h"

#include <atomic>
#include <string>

#include "decode/json_fields.h"
#include "model/message_id.h"
#include "model/timestamp.h"
#include "util/json_lenient.h"
#include "util/json_writer.h"

namespace cdp_relay::decode {
namespace {

// Fields shared by every event of one batch, read once.
struct BatchFields {
  std::string_view mpid;
  std::optional<int64_t> timestamp_ms;
  bool timestamp_present = false;
  JsonObject user_attributes;
  MparticleDetails details;
  Consent consent;
};

Consent read_consent(simdjson::dom::object batch) {
  Consent consent;
  JsonObject state = object_field(batch, "consent_state");
  if (!state) return consent;
  consent.gdpr = object_field(*state, "gdpr");
  // ccpa.data_sale_opt_out.consented, read leniently (bool or "true").
  if (JsonObject ccpa = object_field(*state, "ccpa")) {
    if (JsonObject opt_out = object_field(*ccpa, "data_sale_opt_out")) {
      if (auto consented = field(*opt_out, "consented")) {
        consent.ccpa_data_sale_opt_out = util::lenient_bool(*consented);
      }
    }
  }
  return consent;
}

// Process-wide, so two decoders (one per pipeline, replay job, test) never
// hand out the same serial; one uncontended increment per batch.
uint64_t next_batch_serial() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

BatchFields read_batch_fields(simdjson::dom::object batch, DecodedMessage& out) {
  BatchFields fields;
  fields.details.batch_serial = next_batch_serial();
  fields.mpid = id_field(batch, "mpid", out);
  if (fields.mpid == "0") fields.mpid = {};  // mParticle never assigns MPID 0
  fields.timestamp_present = field(batch, "timestamp_unixtime_ms").has_value();
  fields.timestamp_ms = lenient_int_field(batch, "timestamp_unixtime_ms");
  fields.user_attributes = object_field(batch, "user_attributes");
  fields.details.device_info = object_field(batch, "device_info");
  fields.details.application_info = object_field(batch, "application_info");
  fields.details.user_identities = field(batch, "user_identities");
  fields.details.ip = string_field(batch, "ip");
  fields.details.environment = string_field(batch, "environment");
  if (fields.details.device_info) {
    fields.details.user_agent = string_field(*fields.details.device_info, "http_header_user_agent");
  }
  fields.consent = read_consent(batch);
  return fields;
}

// Commerce events are named after what happened: the product action
// ("purchase"), "promotion_<action>", or "product_impression" (README "Vidora mapping").
std::optional<Error> name_commerce_event(simdjson::dom::object data, CanonicalEvent& event,
                                         DecodedMessage& out) {
  if (JsonObject product_action = object_field(data, "product_action")) {
    event.name = string_field(*product_action, "action");
    if (!event.name.empty()) return std::nullopt;
  }
  if (JsonObject promotion_action = object_field(data, "promotion_action")) {
    std::string_view action = string_field(*promotion_action, "action");
    if (!action.empty()) {
      event.name = out.keep("promotion_" + std::string(action));
      return std::nullopt;
    }
  }
  simdjson::dom::array impressions;
  if (auto value = field(data, "product_impressions");
      value && value->get(impressions) == simdjson::SUCCESS) {
    event.name = "product_impression";
    return std::nullopt;
  }
  return validation_error(Reason::kUnsupportedType,
                          "commerce_event has no product_action, promotion_action or "
                          "product_impressions");
}

// Fills `event` (already in out.events) from one event of a batch; `out` only
// keeps synthesized strings.
std::optional<Error> fill_mparticle_event(EventKind kind, const JsonObject& data,
                                          const BatchFields& batch, const Origin& origin,
                                          DecodedMessage& out, CanonicalEvent& event) {
  event.source_format = SourceFormat::kMparticle;
  event.kind = kind;
  event.origin = origin;
  event.numbers = out.numbers;
  event.user_id = batch.mpid;
  event.traits = batch.user_attributes;
  event.mparticle = batch.details;
  event.consent = batch.consent;

  // Event time first, then the batch's; present-but-unreadable is an error.
  std::optional<int64_t> timestamp;
  bool present = false;
  if (data && field(*data, "timestamp_unixtime_ms")) {
    present = true;
    timestamp = lenient_int_field(*data, "timestamp_unixtime_ms");
  } else if (batch.timestamp_present) {
    present = true;
    timestamp = batch.timestamp_ms;
  }
  if (!present) {
    return validation_error(Reason::kMissingTimestamp,
                            "neither data.timestamp_unixtime_ms nor the batch's is set");
  }
  if (!timestamp) {
    return validation_error(Reason::kBadTimestamp, "timestamp_unixtime_ms is not an integer");
  }
  if (!model::is_accepted_event_time(*timestamp)) {
    return validation_error(Reason::kBadTimestamp, "timestamp_unixtime_ms is not " +
                                                       std::string(model::kEventTimeRange));
  }
  event.timestamp_ms = *timestamp;

  if (data) {
    event.mparticle.event_data = data;
    event.properties = object_field(*data, "custom_attributes");
    event.message_id = string_field(*data, "source_message_id");
  }
  switch (kind) {
    case EventKind::kCustomEvent:
      if (data) {
        event.name = string_field(*data, "event_name");
        event.mparticle.custom_event_type = string_field(*data, "custom_event_type");
      }
      if (event.name.empty()) {
        return validation_error(Reason::kMissingEventName, "custom_event without event_name");
      }
      break;
    case EventKind::kScreenView:
      if (data) event.name = string_field(*data, "screen_name");
      break;
    case EventKind::kCommerceEvent:
      if (!data) {
        return validation_error(Reason::kUnsupportedType, "commerce_event without data");
      }
      if (auto error = name_commerce_event(*data, event, out)) return error;
      break;
    case EventKind::kApplicationStateTransition:
      event.name = to_string(kind);
      if (data) {
        event.mparticle.application_transition_type =
            string_field(*data, "application_transition_type");
      }
      break;
    default:
      event.name = to_string(kind);
      break;
  }
  if (event.message_id.empty()) event.message_id = out.keep(model::synthesize_message_id(origin));
  return std::nullopt;
}

std::optional<Error> decode_event(simdjson::dom::element item, const BatchFields& batch,
                                  const Origin& origin, DecodedMessage& out) {
  simdjson::dom::object event_object;
  if (item.get(event_object) != simdjson::SUCCESS) {
    return Error{Stage::kDecode, Reason::kUnknownFormat, "event is not a JSON object",
                 std::nullopt, 0};
  }
  const std::string_view event_type = string_field(event_object, "event_type");
  const auto kind = mparticle_kind_from_event_type(event_type);
  if (!kind) {
    return validation_error(Reason::kUnsupportedType,
                            event_type.empty()
                                ? std::string("event_type is missing or not a string")
                                : "event_type '" + std::string(event_type) + "' is not supported");
  }
  // `data` is optional in the schema; an event without it still has a type.
  JsonObject data = object_field(event_object, "data");

  // Built in place and dropped again if invalid (see decode_segment_message).
  CanonicalEvent& event = out.events.emplace_back();
  auto error = fill_mparticle_event(*kind, data, batch, origin, out, event);
  if (error) out.events.pop_back();
  return error;
}

}  // namespace

// The DLQ value for one bad event: the batch with `events` reduced to it, so a
// replay re-delivers that event with its batch context and nothing else.
std::string single_event_batch_json(simdjson::dom::object batch, simdjson::dom::element event,
                                    const util::NumberTexts* numbers) {
  std::string out;
  util::JsonObjectWriter writer(out, numbers);
  for (auto member : batch) {
    if (member.key == "events") continue;
    writer.value_member(member.key, member.value);
  }
  writer.key("events");
  out.push_back('[');
  util::append_json_value(out, event, numbers);
  out.push_back(']');
  writer.close();
  return out;
}


void decode_mparticle_batch(simdjson::dom::object batch, const Origin& origin,
                            const DecodeLimits& limits, bool check_strings,
                            DecodedMessage& out) {
  // detect_shape() saw `events` as an array, reading the last member of the
  // name as every accessor here does (a repeated name keeps the last value).
  simdjson::dom::array events;
  if (auto value = field(batch, "events"); !value || value->get(events) != simdjson::SUCCESS) {
    reject_message(out, Stage::kDecode, Reason::kUnknownFormat, "events is not an array");
    return;
  }
  if (events.size() > limits.max_batch_items) {
    reject_message(out, Stage::kDecode, Reason::kTooManyItems,
                   "batch has " + std::to_string(events.size()) + " events, limit is " +
                       std::to_string(limits.max_batch_items));
    return;
  }
  const BatchFields fields = read_batch_fields(batch, out);
  if (fields.mpid.empty()) {
    // Every event would fail the same way: one DLQ record for the batch.
    reject_message(out, Stage::kValidate, Reason::kMissingIdentity, "batch has no mpid");
    return;
  }
  uint32_t index = 0;
  for (simdjson::dom::element item : events) {
    Origin event_origin = origin;
    event_origin.index = index;
    std::optional<Error> error;
    if (size_t length = check_strings ? oversized_string(item, limits.max_string_bytes) : 0) {
      error = string_too_long(length, limits.max_string_bytes);
    } else {
      error = decode_event(item, fields, event_origin, out);
    }
    if (error) {
      out.rejections.push_back(
          Rejection{std::move(*error), index, false,
                    single_event_batch_json(batch, item, out.numbers)});
    }
    ++index;
  }
}

}  // namespace cdp_relay::decode
