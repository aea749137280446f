// Names of the canonical event's enums, and the small lookups on it.
#include "cdp_relay/event.h"

#include <array>
#include <utility>

#include "util/json_lenient.h"

namespace cdp_relay {
namespace {

struct KindName {
  EventKind kind;
  std::string_view name;
};

constexpr std::array<KindName, 6> kSegmentKinds{{
    {EventKind::kTrack, "track"},
    {EventKind::kPage, "page"},
    {EventKind::kScreen, "screen"},
    {EventKind::kIdentify, "identify"},
    {EventKind::kGroup, "group"},
    {EventKind::kAlias, "alias"},
}};

// Every event_type of mParticle's Events API schema
// (shared/reference/mparticle-eventsapi.schema.json, definitions.EventType).
constexpr std::array<KindName, 19> kMparticleKinds{{
    {EventKind::kCustomEvent, "custom_event"},
    {EventKind::kScreenView, "screen_view"},
    {EventKind::kCommerceEvent, "commerce_event"},
    {EventKind::kSessionStart, "session_start"},
    {EventKind::kSessionEnd, "session_end"},
    {EventKind::kApplicationStateTransition, "application_state_transition"},
    {EventKind::kPushMessage, "push_message"},
    {EventKind::kPushRegistration, "push_registration"},
    {EventKind::kPushReaction, "push_reaction"},
    {EventKind::kUserAttributeChange, "user_attribute_change"},
    {EventKind::kUserIdentityChange, "user_identity_change"},
    {EventKind::kCrashReport, "crash_report"},
    {EventKind::kOptOut, "opt_out"},
    {EventKind::kUninstall, "uninstall"},
    {EventKind::kBreadcrumb, "breadcrumb"},
    {EventKind::kProfile, "profile"},
    {EventKind::kFirstRun, "first_run"},
    {EventKind::kPreAttribution, "pre_attribution"},
    {EventKind::kNetworkPerformance, "network_performance"},
}};

template <size_t N>
std::optional<EventKind> find_kind(const std::array<KindName, N>& table, std::string_view name) {
  for (const auto& entry : table) {
    if (entry.name == name) return entry.kind;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(SourceFormat format) {
  return format == SourceFormat::kSegment ? "segment" : "mparticle";
}

std::string_view to_string(EventKind kind) {
  for (const auto& entry : kSegmentKinds) {
    if (entry.kind == kind) return entry.name;
  }
  for (const auto& entry : kMparticleKinds) {
    if (entry.kind == kind) return entry.name;
  }
  return "unknown";
}

std::optional<EventKind> segment_kind_from_type(std::string_view type) {
  return find_kind(kSegmentKinds, type);
}

std::optional<EventKind> mparticle_kind_from_event_type(std::string_view event_type) {
  return find_kind(kMparticleKinds, event_type);
}

std::optional<simdjson::dom::element> LayeredObject::find(std::string_view key) const {
  if (own) {
    if (auto value = util::last_member(*own, key)) return value;
  }
  if (inherited) return util::last_member(*inherited, key);
  return std::nullopt;
}

std::optional<bool> Consent::gdpr_consented(std::string_view purpose) const {
  if (!gdpr) return std::nullopt;
  simdjson::dom::object state;
  if (gdpr->at_key(purpose).get(state) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::element consented;
  if (state.at_key("consented").get(consented) != simdjson::SUCCESS) return std::nullopt;
  return util::lenient_bool(consented);
}

}  // namespace cdp_relay
