#include "destinations/vidora/vidora_encoder.h"

#include "destinations/vidora/vidora_mapping.h"
#include "model/timestamp.h"

namespace cdp_relay::destinations::vidora {
namespace {

// Keys a custom parameter can never take (it gets `prop_` instead), whether or
// not this event writes them: a property named "user_id" must not pose as one.
const std::vector<std::string_view>& reserved_keys() {
  static const std::vector<std::string_view> kReserved = {
      "user_id", "type", "timestamp", "anonymous_id", "event_id", "source"};
  return kReserved;
}

// Commerce details forwarded from an mParticle commerce_event's data.
constexpr std::string_view kCommerceFields[] = {"product_action", "promotion_action",
                                                "product_impressions", "shopping_cart",
                                                "currency_code"};

}  // namespace

std::string_view to_string(TimestampFormat format) {
  switch (format) {
    case TimestampFormat::kUnixSeconds: return "unix_s";
    case TimestampFormat::kUnixMillis: return "unix_ms";
    case TimestampFormat::kIso8601: return "iso8601";
  }
  return "unix_s";
}

std::optional<TimestampFormat> timestamp_format_from(std::string_view name) {
  if (name == "unix_s") return TimestampFormat::kUnixSeconds;
  if (name == "unix_ms") return TimestampFormat::kUnixMillis;
  if (name == "iso8601") return TimestampFormat::kIso8601;
  return std::nullopt;
}

VidoraEncoder::VidoraEncoder(VidoraEncodeOptions options) : options_(options) {}

void VidoraEncoder::encode(const CanonicalEvent& event, std::string_view type, std::string& out) {
  writer_.reset(out, reserved_keys());
  writer_.reserved_string("user_id", event.user_key());
  writer_.reserved_string("type", type);
  switch (options_.timestamp_format) {
    case TimestampFormat::kUnixSeconds:
      // Floor division, so pre-1970 milliseconds round towards the past.
      writer_.reserved_int("timestamp", event.timestamp_ms >= 0
                                            ? event.timestamp_ms / 1000
                                            : (event.timestamp_ms - 999) / 1000);
      break;
    case TimestampFormat::kUnixMillis:
      writer_.reserved_int("timestamp", event.timestamp_ms);
      break;
    case TimestampFormat::kIso8601:
      timestamp_text_.clear();
      model::append_iso8601_ms(timestamp_text_, event.timestamp_ms);
      writer_.reserved_string("timestamp", timestamp_text_);
      break;
  }
  if (!event.anonymous_id.empty()) writer_.reserved_string("anonymous_id", event.anonymous_id);
  writer_.reserved_string("event_id", event.message_id);
  writer_.reserved_string("source", to_string(event.source_format));

  if (event.source_format == SourceFormat::kSegment) {
    encode_segment_fields(event);
  } else {
    encode_mparticle_fields(event);
  }
  writer_.close();
}

void VidoraEncoder::encode_segment_fields(const CanonicalEvent& event) {
  // The call's own fields go through the same collision rules as properties:
  // they are ordinary (non-reserved) Vidora parameters.
  switch (event.kind) {
    case EventKind::kPage:
    case EventKind::kScreen:
      if (!event.name.empty()) writer_.fixed_string("name", event.name);
      if (!event.category.empty()) writer_.fixed_string("category", event.category);
      break;
    case EventKind::kGroup:
      if (!event.group_id.empty()) writer_.fixed_string("group_id", event.group_id);
      break;
    default:
      break;
  }
  if (event.properties) writer_.custom_members("", *event.properties);
  if (event.traits) writer_.custom_members("", *event.traits);
}

void VidoraEncoder::encode_mparticle_fields(const CanonicalEvent& event) {
  const MparticleDetails& details = event.mparticle;
  if (event.kind == EventKind::kScreenView && !event.name.empty()) {
    writer_.fixed_string("name", event.name);
  }
  if (!details.custom_event_type.empty()) {
    writer_.fixed_string("custom_event_type", details.custom_event_type);
  }
  if (!details.application_transition_type.empty()) {
    writer_.fixed_string("application_transition_type", details.application_transition_type);
  }
  if (!details.environment.empty()) writer_.fixed_string("environment", details.environment);
  if (!details.user_agent.empty()) writer_.fixed_string("user_agent", details.user_agent);

  // Consent states always go through, filtering or not (DESIGN.md §3).
  if (event.consent.gdpr) {
    for (auto purpose : *event.consent.gdpr) {
      if (auto consented = event.consent.gdpr_consented(purpose.key)) {
        consent_key_.assign("consent_gdpr_");
        append_snake_case(consent_key_, purpose.key);
        writer_.custom_bool(consent_key_, *consented);
      }
    }
  }
  if (event.consent.ccpa_data_sale_opt_out) {
    writer_.custom_bool("consent_ccpa_data_sale_opt_out", *event.consent.ccpa_data_sale_opt_out);
  }
  if (event.mparticle.event_data && event.kind == EventKind::kCommerceEvent) {
    for (std::string_view name : kCommerceFields) {
      simdjson::dom::element value;
      if (event.mparticle.event_data->at_key(name).get(value) == simdjson::SUCCESS &&
          !value.is_null()) {
        writer_.custom("", name, value);
      }
    }
  }
  if (details.device_info || event.traits) encode_batch_attributes(event);
  if (!options_.personal_data_filtering) {
    if (!details.ip.empty()) writer_.fixed_string("ip", details.ip);
    if (details.user_identities) encode_user_identities(*details.user_identities);
  }
  if (event.properties) writer_.custom_members("", *event.properties);  // custom_attributes
}

void VidoraEncoder::encode_batch_attributes(const CanonicalEvent& event) {
  const uint64_t serial = event.mparticle.batch_serial;
  if (serial == 0) {  // not from a decoder: nothing tells us what is shared
    write_batch_attributes(writer_, event);
    return;
  }
  if (serial != fragment_serial_) {
    // First event of the batch: write its members once, as the fragment.
    fragment_writer_.reset(fragment_scratch_, reserved_keys());
    write_batch_attributes(fragment_writer_, event);
    fragment_writer_.close_as_fragment(batch_attributes_);
    fragment_serial_ = serial;
  }
  // Only a key this event wrote before could collide with the fragment's
  // (consent or commerce fields flattening into device_info_* names cannot
  // today); then the members are written one by one as ever.
  if (!writer_.paste(batch_attributes_)) write_batch_attributes(writer_, event);
}

void VidoraEncoder::write_batch_attributes(FlatObjectWriter& writer,
                                           const CanonicalEvent& event) const {
  if (const auto& device_info = event.mparticle.device_info) {
    for (auto member : *device_info) {
      if (member.key == "http_header_user_agent") continue;  // already user_agent
      if (options_.personal_data_filtering && is_device_identifier(member.key)) continue;
      writer.custom("device_info", member.key, member.value);
    }
  }
  if (event.traits) {  // user attributes
    for (auto member : *event.traits) {
      if (options_.personal_data_filtering && member.key.starts_with("$")) continue;
      writer.custom("user_attributes", member.key, member.value);
    }
  }
}

void VidoraEncoder::encode_user_identities(simdjson::dom::element identities) {
  // Outbound batches carry [{identity_type, identity}]; inbound ones a map.
  simdjson::dom::array list;
  if (identities.get(list) == simdjson::SUCCESS) {
    for (simdjson::dom::element entry : list) {
      std::string_view type, identity;
      if (entry["identity_type"].get(type) == simdjson::SUCCESS &&
          entry["identity"].get(identity) == simdjson::SUCCESS) {
        writer_.custom("user_identities", type, entry["identity"].value_unsafe());
      }
    }
    return;
  }
  simdjson::dom::object map;
  if (identities.get(map) == simdjson::SUCCESS) writer_.custom_members("user_identities", map);
}

}  // namespace cdp_relay::destinations::vidora
