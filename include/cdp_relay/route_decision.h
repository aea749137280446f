// Why an event did or did not become a destination's output. The router and
// the destinations' encoders decide; every decision is counted per destination
// (metric label `reason`, a bounded set), which is why the enum sits here with
// the other cross-stage vocabulary (like Reason) and not in route/: the
// metrics layer is below route.
#pragma once

#include <cstdint>
#include <string_view>

namespace cdp_relay {

enum class RouteDecision : uint8_t {
  kRouted,
  // Filtered by routing (the event is fine; the destination must not get it).
  kIntegrations,        // Segment integrations object
  kExcluded,            // routing.exclude matched
  kNotIncluded,         // routing.include is set and did not match
  kConsentCcpaOptOut,   // routing.consent.block_ccpa_opt_out
  kConsentGdprMissing,  // routing.consent.required_gdpr_purposes
  // Skipped by the destination's mapping (it takes no such event).
  kUnsupportedKind,     // e.g. a Segment alias for Vidora, a page for Spideo
  kUnmappedEvent,       // Spideo: no interaction type for the event name
  kNoContentId,         // Spideo: a mapped track without any content id
  kNoAudienceValue,     // Spideo: an Engage audience identify without its boolean trait
  kCount,
};

inline constexpr size_t kRouteDecisionCount = static_cast<size_t>(RouteDecision::kCount);

inline std::string_view to_string(RouteDecision decision) {
  switch (decision) {
    case RouteDecision::kRouted: return "routed";
    case RouteDecision::kIntegrations: return "integrations";
    case RouteDecision::kExcluded: return "excluded";
    case RouteDecision::kNotIncluded: return "not_included";
    case RouteDecision::kConsentCcpaOptOut: return "consent_ccpa_opt_out";
    case RouteDecision::kConsentGdprMissing: return "consent_gdpr_missing";
    case RouteDecision::kUnsupportedKind: return "unsupported_kind";
    case RouteDecision::kUnmappedEvent: return "unmapped_event";
    case RouteDecision::kNoContentId: return "no_content_id";
    case RouteDecision::kNoAudienceValue: return "no_audience_value";
    case RouteDecision::kCount: break;
  }
  return "unknown";
}

// Filtered by rules (as opposed to skipped by a mapping).
inline bool is_filter(RouteDecision decision) {
  return decision >= RouteDecision::kIntegrations &&
         decision <= RouteDecision::kConsentGdprMissing;
}

}  // namespace cdp_relay
