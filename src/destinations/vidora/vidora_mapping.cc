#include "destinations/vidora/vidora_mapping.h"

#include <array>

namespace cdp_relay::destinations::vidora {

std::optional<std::string_view> vidora_type(const CanonicalEvent& event) {
  switch (event.kind) {
    // Segment calls, per Segment's Vidora destination.
    case EventKind::kTrack: return event.name;
    case EventKind::kPage: return std::string_view("pageview");
    case EventKind::kScreen: return std::string_view("screenview");
    case EventKind::kIdentify: return std::string_view("identify");
    case EventKind::kGroup: return std::string_view("group");
    case EventKind::kAlias: return std::nullopt;
    // mParticle event types, per mParticle's Vidora Event integration.
    case EventKind::kCustomEvent: return event.name;
    case EventKind::kScreenView: return std::string_view("screenview");
    case EventKind::kCommerceEvent: return event.name;  // purchase, promotion_click, ...
    default: return to_string(event.kind);               // session_start, opt_out, ...
  }
}

bool is_device_identifier(std::string_view key) {
  // From DeviceInformation in mParticle's published Events API schema.
  static constexpr std::array<std::string_view, 11> kIdentifiers{
      "android_uuid",       "ios_advertising_id",       "ios_idfv",
      "android_advertising_id", "push_token",           "amp_id",
      "roku_advertising_id", "roku_publisher_id",       "microsoft_advertising_id",
      "microsoft_publisher_id", "fire_advertising_id"};
  for (std::string_view identifier : kIdentifiers) {
    if (key == identifier) return true;
  }
  // Future platforms follow the same naming.
  return key.ends_with("_advertising_id") || key.ends_with("_publisher_id");
}

}  // namespace cdp_relay::destinations::vidora
