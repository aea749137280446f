#include "route/integrations_filter.h"

namespace cdp_relay::route {
namespace {

// A destination entry is "on" unless it is literally false; Segment accepts an
// options object in place of true.
bool enabled_value(simdjson::dom::element value) {
  bool flag;
  if (value.get(flag) == simdjson::SUCCESS) return flag;
  return true;
}

}  // namespace

bool integrations_allow(const LayeredObject& integrations, std::string_view integration_name) {
  if (integrations.empty()) return true;
  if (auto own = integrations.find(integration_name)) return enabled_value(*own);
  if (auto all = integrations.find("All")) {
    bool flag;
    if (all->get(flag) == simdjson::SUCCESS) return flag;
  }
  return true;
}

}  // namespace cdp_relay::route
