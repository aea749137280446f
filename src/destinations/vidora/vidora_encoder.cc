#include "destinations/vidora/vidora_encoder.h"

#include <optional>

#include "destinations/vidora/vidora_mapping.h"
#include "model/timestamp.h"
#include "util/json_lenient.h"
#include "util/word_load.h"

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

// Fields of an mParticle event's `data` sent for every event type (the
// schema's common EventData), under their own names.
constexpr std::string_view kCommonDataFields[] = {"session_id", "session_uuid",
                                                  "source_message_id"};

// A field of an event type's `data`, and the Vidora key it goes out under.
struct TypeField {
  EventKind kind;
  std::string_view name;
  std::string_view key = {};  // empty: the same as `name`
  // A device or push identifier: sent only with personal-data filtering off.
  bool personal = false;
};

// Each event type's own fields, from mParticle's Events API schema (the
// `data` of SessionStartEvent, PushMessageEvent, ...). push_reaction, which
// the schema does not describe, is read as a push_message (mParticle's SDKs
// send it with those fields). user_attribute_change and user_identity_change
// have rules of their own (see their encoders); commerce_event has
// kCommerceFields; custom_event, screen_view, first_run, uninstall and
// pre_attribution carry the common fields and their custom attributes.
// crash_report's pl_crash_report_file_base64 (a binary crash dump) is left
// out: it can be megabytes and is no model input.
constexpr TypeField kTypeFields[] = {
    {EventKind::kSessionStart, "session_start_unixtime_ms"},
    {EventKind::kSessionEnd, "session_start_unixtime_ms"},
    {EventKind::kSessionEnd, "session_duration_ms"},
    {EventKind::kPushMessage, "push_message_type"},
    {EventKind::kPushMessage, "push_message_behavior"},
    {EventKind::kPushMessage, "action_identifier"},
    {EventKind::kPushMessage, "action_name"},
    {EventKind::kPushMessage, "message"},
    {EventKind::kPushMessage, "network"},
    {EventKind::kPushMessage, "application_state"},
    {EventKind::kPushMessage, "push_notification_payload", "payload"},
    {EventKind::kPushMessage, "push_message_token", {}, true},
    {EventKind::kPushRegistration, "register"},
    {EventKind::kPushRegistration, "registration_token", {}, true},
    {EventKind::kApplicationStateTransition, "successfully_closed"},
    {EventKind::kApplicationStateTransition, "is_first_run"},
    {EventKind::kApplicationStateTransition, "is_upgrade"},
    {EventKind::kApplicationStateTransition, "launch_referral"},
    {EventKind::kApplicationStateTransition, "push_notification_payload", "payload"},
    {EventKind::kCrashReport, "class_name"},
    {EventKind::kCrashReport, "severity"},
    {EventKind::kCrashReport, "message"},
    {EventKind::kCrashReport, "stack_trace"},
    {EventKind::kCrashReport, "exception_handled"},
    {EventKind::kCrashReport, "topmost_context"},
    {EventKind::kCrashReport, "session_number"},
    {EventKind::kCrashReport, "ios_image_base_address"},
    {EventKind::kCrashReport, "ios_image_size"},
    {EventKind::kCrashReport, "breadcrumbs"},
    {EventKind::kNetworkPerformance, "http_verb"},
    {EventKind::kNetworkPerformance, "url"},
    {EventKind::kNetworkPerformance, "time_elapsed"},
    {EventKind::kNetworkPerformance, "bytes_in"},
    {EventKind::kNetworkPerformance, "bytes_out"},
    {EventKind::kNetworkPerformance, "response_code"},
    {EventKind::kNetworkPerformance, "data"},
    {EventKind::kProfile, "profile_event_type"},
    {EventKind::kProfile, "previous_mpid"},
    {EventKind::kProfile, "current_mpid"},
    {EventKind::kOptOut, "is_opted_out"},
    {EventKind::kBreadcrumb, "label"},
    {EventKind::kBreadcrumb, "session_number"},
};

// application_info members sent with every event of the batch.
constexpr std::string_view kApplicationInfoFields[] = {
    "application_name", "application_version", "application_build_number", "package", "os"};

// Members of a Segment context.device that identify the device or its owner.
bool is_segment_device_identifier(std::string_view key) {
  return key == "id" || key == "advertisingId" || key == "token";
}

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

VidoraEncoder::VidoraEncoder(VidoraEncodeOptions options) : options_(std::move(options)) {
  for (const std::string& name : options_.segment_context) {
    ContextMember member{name, ContextMember::kFlattened};
    if (name == "userAgent") member.how = ContextMember::kUserAgent;
    if (name == "ip") member.how = ContextMember::kIp;
    if (name.size() < 64) context_lengths_ |= uint64_t{1} << name.size();
    context_members_.push_back(std::move(member));
  }
}

void VidoraEncoder::encode(const CanonicalEvent& event, std::string_view type, std::string& out) {
  const size_t start = out.size();
  writer_.set_last_wins(false);
  encode_object(event, type, out);
  if (writer_.saw_duplicate_member()) {
    // Rare: an object with repeated member names. Encoded again, keeping only
    // the last of each name.
    out.resize(start);
    writer_.set_last_wins(true);
    encode_object(event, type, out);
  }
}

void VidoraEncoder::encode_object(const CanonicalEvent& event, std::string_view type,
                                  std::string& out) {
  writer_.reset(out, reserved_keys(), event.numbers);
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
  const bool page_or_screen = event.kind == EventKind::kPage || event.kind == EventKind::kScreen;
  if (page_or_screen) {
    if (!event.name.empty()) writer_.fixed_string("name", event.name);
    if (!event.category.empty()) writer_.fixed_string("category", event.category);
  } else if (event.kind == EventKind::kGroup && !event.group_id.empty()) {
    writer_.fixed_string("group_id", event.group_id);
  }
  encode_segment_context(event);
  if (event.properties) {
    if (page_or_screen) {
      // analytics.js copies the page's name and category into properties:
      // the same value twice is one column, not `name` and `prop_name`.
      writer_.custom_members_except("", *event.properties,
                                    {{"name", event.name}, {"category", event.category}});
    } else {
      writer_.custom_members("", *event.properties);
    }
  }
  if (event.traits) writer_.custom_members("", *event.traits);
}

void VidoraEncoder::encode_segment_context(const CanonicalEvent& event) {
  // One pass over the context's members rather than a look-up per configured
  // name: the item's own context first, then the envelope's members the item
  // does not have.
  if (context_members_.empty()) return;
  if (event.context.own) encode_context_members(*event.context.own, nullptr);
  if (event.context.inherited) {
    encode_context_members(*event.context.inherited,
                           event.context.own ? &*event.context.own : nullptr);
  }
}

void VidoraEncoder::encode_context_members(simdjson::dom::object context,
                                           const simdjson::dom::object* shadowing) {
  // One pass over the context collects its configured members, and where the
  // last member of each configured name is (a repeated name counts once, by
  // its last value, as everywhere else); then only those are visited.
  context_last_found_.assign(context_members_.size(), kNoPosition);
  context_found_.clear();
  for (auto member : context) {
    const ContextMember* wanted = find_context_member(member.key);
    if (wanted == nullptr) continue;
    context_last_found_[static_cast<size_t>(wanted - context_members_.data())] =
        static_cast<uint32_t>(context_found_.size());
    context_found_.push_back(FoundContextMember{wanted, member.key, member.value});
  }
  for (uint32_t at = 0; at < context_found_.size(); ++at) {
    const auto& [wanted, key, value] = context_found_[at];
    if (value.is_null() ||
        context_last_found_[static_cast<size_t>(wanted - context_members_.data())] != at) {
      continue;
    }
    if (shadowing != nullptr && util::last_member(*shadowing, key)) continue;
    std::string_view text;
    switch (wanted->how) {
      case ContextMember::kUserAgent:
        if (value.get(text) == simdjson::SUCCESS && !text.empty()) {
          writer_.fixed_string("user_agent", text);
        }
        break;
      case ContextMember::kIp:
        if (!options_.personal_data_filtering && value.get(text) == simdjson::SUCCESS &&
            !text.empty()) {
          writer_.fixed_string("ip", text);
        }
        break;
      case ContextMember::kFlattened: {
        simdjson::dom::object device;
        if (key == "device" && options_.personal_data_filtering &&
            value.get(device) == simdjson::SUCCESS) {
          for (auto field : device) {
            if (!is_segment_device_identifier(field.key)) {
              writer_.custom("context_device", field.key, field.value);
            }
          }
        } else {
          writer_.custom("context", key, value);
        }
        break;
      }
    }
  }
}

const VidoraEncoder::ContextMember* VidoraEncoder::find_context_member(
    std::string_view key) const {
  // Most context members are not configured, or are told apart by their
  // length alone: compare only names of the same length.
  if (key.size() >= 64 || (context_lengths_ & (uint64_t{1} << key.size())) == 0) return nullptr;
  for (const ContextMember& member : context_members_) {
    if (util::equal_bytes(member.name, key)) {
      return &member;
    }
  }
  return nullptr;
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

  // Consent states always go through, filtering or not: they are no personal
  // data, and a model must know what the user agreed to.
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
  if (event.mparticle.event_data) encode_mparticle_event_data(event, *event.mparticle.event_data);
  if (details.device_info || details.application_info || event.traits) {
    encode_batch_attributes(event);
  }
  if (!options_.personal_data_filtering) {
    if (!details.ip.empty()) writer_.fixed_string("ip", details.ip);
    if (details.user_identities) encode_user_identities(*details.user_identities);
  }
  if (event.properties) writer_.custom_members("", *event.properties);  // custom_attributes
}

void VidoraEncoder::encode_mparticle_event_data(const CanonicalEvent& event,
                                                simdjson::dom::object data) {
  // The fields to forward, in the order they are written: the event type's
  // own, then the common ones. Looked up in one walk over `data` rather than
  // one walk per field.
  data_fields_.clear();
  switch (event.kind) {
    case EventKind::kCommerceEvent:
      for (std::string_view name : kCommerceFields) data_fields_.push_back({name, name, {}});
      break;
    case EventKind::kUserAttributeChange:
      encode_user_attribute_change(data);
      break;
    case EventKind::kUserIdentityChange:
      encode_user_identity_change(data);
      break;
    default: {
      const EventKind kind =
          event.kind == EventKind::kPushReaction ? EventKind::kPushMessage : event.kind;
      for (const TypeField& field : kTypeFields) {
        if (field.kind != kind || (field.personal && options_.personal_data_filtering)) continue;
        data_fields_.push_back({field.name, field.key.empty() ? field.name : field.key, {}});
      }
      break;
    }
  }
  for (std::string_view name : kCommonDataFields) data_fields_.push_back({name, name, {}});
  for (auto member : data) {
    for (DataField& field : data_fields_) {
      // The last of a repeated name wins.
      if (util::equal_bytes(member.key, field.name)) field.value = member.value;
    }
  }
  for (const DataField& field : data_fields_) {
    if (field.value && !field.value->is_null()) writer_.custom("", field.key, *field.value);
  }
}

void VidoraEncoder::encode_user_attribute_change(simdjson::dom::object data) {
  std::string_view name;
  if (auto value = util::present_member(data, "user_attribute_name")) {
    if (value->get(name) != simdjson::SUCCESS) name = {};
    writer_.custom("", "user_attribute_name", *value);
  }
  // A `$`-reserved attribute ($FirstName, $Mobile, ...) is personal data:
  // with filtering on, the change is sent without its values.
  const bool values_allowed = !(options_.personal_data_filtering && name.starts_with("$"));
  if (values_allowed) {
    if (auto value = util::present_member(data, "new")) writer_.custom("", "new", *value);
    if (auto value = util::present_member(data, "old")) writer_.custom("", "old", *value);
  }
  if (auto value = util::present_member(data, "deleted")) writer_.custom("", "deleted", *value);
  if (auto value = util::present_member(data, "is_new_attribute")) writer_.custom("", "is_new_attribute", *value);
}

void VidoraEncoder::encode_user_identity_change(simdjson::dom::object data) {
  JsonObject added, removed;
  simdjson::dom::object identity;
  if (auto value = util::present_member(data, "new"); value && value->get(identity) == simdjson::SUCCESS) {
    added = identity;
  }
  if (auto value = util::present_member(data, "old"); value && value->get(identity) == simdjson::SUCCESS) {
    removed = identity;
  }
  if (!added && !removed) return;
  const simdjson::dom::object& either = added ? *added : *removed;
  if (auto type = util::present_member(either, "identity_type")) writer_.custom("", "identity_type", *type);
  writer_.fixed_string("identity_change", added && removed ? "changed" : added ? "added" : "removed");
  // The identity values themselves are personal data (an email, a customer id).
  if (!options_.personal_data_filtering) {
    if (added) {
      if (auto value = util::present_member(*added, "identity")) writer_.custom("", "new_identity", *value);
    }
    if (removed) {
      if (auto value = util::present_member(*removed, "identity")) writer_.custom("", "old_identity", *value);
    }
  }
}

void VidoraEncoder::encode_batch_attributes(const CanonicalEvent& event) {
  const uint64_t serial = event.mparticle.batch_serial;
  if (serial == 0) {  // not from a decoder: nothing tells us what is shared
    write_batch_attributes(writer_, event);
    return;
  }
  if (serial != fragment_serial_) {
    // First event of the batch: write its members once, as the fragment.
    fragment_writer_.reset(fragment_scratch_, reserved_keys(), event.numbers);
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
  if (const auto& application_info = event.mparticle.application_info) {
    for (std::string_view name : kApplicationInfoFields) {
      if (auto value = util::present_member(*application_info, name)) {
        writer.custom("application_info", name, *value);
      }
    }
  }
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
