#include "route/router.h"

#include "route/integrations_filter.h"

namespace cdp_relay::route {
namespace {

bool matches(const RouteRule& rule, const CanonicalEvent& event) {
  if (!rule.kind.empty() && rule.kind != to_string(event.kind)) return false;
  if (!rule.event.empty() && rule.event != event.name) return false;
  return true;
}

bool any_matches(const std::vector<RouteRule>& rules, const CanonicalEvent& event) {
  for (const auto& rule : rules) {
    if (matches(rule, event)) return true;
  }
  return false;
}

}  // namespace

RouteDecision route_event(const CanonicalEvent& event, const RoutingRules& rules,
                          std::string_view integration_name) {
  if (!integration_name.empty() && !integrations_allow(event.integrations, integration_name)) {
    return RouteDecision::kIntegrations;
  }
  if (any_matches(rules.exclude, event)) return RouteDecision::kExcluded;
  if (!rules.include.empty() && !any_matches(rules.include, event)) {
    return RouteDecision::kNotIncluded;
  }
  const ConsentRules& consent = rules.consent;
  if (consent.block_ccpa_opt_out && event.consent.ccpa_data_sale_opt_out.value_or(false)) {
    return RouteDecision::kConsentCcpaOptOut;
  }
  for (const auto& purpose : consent.required_gdpr_purposes) {
    // Absent or unreadable consent is not consent.
    if (!event.consent.gdpr_consented(purpose).value_or(false)) {
      return RouteDecision::kConsentGdprMissing;
    }
  }
  return RouteDecision::kRouted;
}

}  // namespace cdp_relay::route
