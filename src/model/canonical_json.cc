#include "model/canonical_json.h"

#include "util/json_writer.h"

namespace cdp_relay::model {

void append_layered_object(std::string& out, const LayeredObject& layered,
                           const util::NumberTexts* numbers) {
  util::JsonObjectWriter writer(out, numbers);
  if (layered.own) {
    for (auto member : *layered.own) writer.value_member(member.key, member.value);
  }
  if (layered.inherited) {
    for (auto member : *layered.inherited) {
      simdjson::dom::element ignored;
      if (layered.own && layered.own->at_key(member.key).get(ignored) == simdjson::SUCCESS) {
        continue;
      }
      writer.value_member(member.key, member.value);
    }
  }
  writer.close();
}

namespace {

void optional_string(util::JsonObjectWriter& writer, std::string_view name, std::string_view value) {
  if (!value.empty()) writer.string_member(name, value);
}

}  // namespace

void append_canonical_json(std::string& out, const CanonicalEvent& event) {
  util::JsonObjectWriter writer(out, event.numbers);
  writer.string_member("source_format", to_string(event.source_format));
  writer.string_member("kind", to_string(event.kind));
  optional_string(writer, "name", event.name);
  optional_string(writer, "user_id", event.user_id);
  optional_string(writer, "anonymous_id", event.anonymous_id);
  writer.string_member("message_id", event.message_id);
  writer.int_member("timestamp_ms", event.timestamp_ms);
  optional_string(writer, "group_id", event.group_id);
  optional_string(writer, "category", event.category);
  optional_string(writer, "previous_id", event.previous_id);
  if (event.properties) writer.value_member("properties", *event.properties);
  if (event.traits) writer.value_member("traits", *event.traits);
  if (!event.context.empty()) {
    writer.key("context");
    append_layered_object(out, event.context, event.numbers);
  }
  if (!event.integrations.empty()) {
    writer.key("integrations");
    append_layered_object(out, event.integrations, event.numbers);
  }
  if (event.consent.ccpa_data_sale_opt_out || event.consent.gdpr) {
    writer.key("consent");
    util::JsonObjectWriter consent(out, event.numbers);
    if (event.consent.ccpa_data_sale_opt_out) {
      consent.bool_member("ccpa_data_sale_opt_out", *event.consent.ccpa_data_sale_opt_out);
    }
    if (event.consent.gdpr) consent.value_member("gdpr", *event.consent.gdpr);
    consent.close();
  }
  if (event.source_format == SourceFormat::kMparticle) {
    const MparticleDetails& details = event.mparticle;
    writer.key("mparticle");
    util::JsonObjectWriter mp(out, event.numbers);
    optional_string(mp, "environment", details.environment);
    optional_string(mp, "custom_event_type", details.custom_event_type);
    optional_string(mp, "application_transition_type", details.application_transition_type);
    optional_string(mp, "ip", details.ip);
    if (details.device_info) mp.value_member("device_info", *details.device_info);
    if (details.application_info) mp.value_member("application_info", *details.application_info);
    if (details.user_identities) mp.value_member("user_identities", *details.user_identities);
    if (details.event_data) mp.value_member("data", *details.event_data);
    mp.close();
  }
  writer.key("origin");
  util::JsonObjectWriter origin(out);
  origin.string_member("topic", event.origin.topic);
  origin.int_member("partition", event.origin.partition);
  origin.int_member("offset", event.origin.offset);
  origin.int_member("index", event.origin.index);
  origin.close();
  writer.close();
}

}  // namespace cdp_relay::model
