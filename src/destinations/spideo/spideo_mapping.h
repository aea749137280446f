// Spideo's mapping (DESIGN.md §4, seeded by Segment's Spideo destination):
// track events become interactions, identify audience traits become user
// properties. Pure functions: no Kafka, no HTTP.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cdp_relay/event.h"

namespace cdp_relay::destinations::spideo {

// The interaction type of a track event name ("Order Completed" -> "buy"),
// from the configured table; nullopt when the name is not in it.
std::optional<std::string_view> interaction_for(std::string_view event_name,
                                                const std::map<std::string, std::string>& table);

// The content id: properties.asset_id, else content_asset_id, else
// product_id; a string or an integer. nullopt when none is usable.
std::optional<std::string> content_id_of(const CanonicalEvent& event);

// `origin`, `device` and `distributions`, each from the properties first and
// then the context (context.device.type for the device). Absent ones are
// not written. Appends a JSON object to `out`.
void append_interaction_body(std::string& out, const CanonicalEvent& event);

// Fills {name} placeholders of a URL template with percent-encoded values;
// unknown placeholders are left as they are.
std::string fill_url_template(std::string_view url_template,
                              const std::map<std::string_view, std::string_view>& values);

// True for a Segment Engage audience trait name: snake_case (lowercase
// letters, digits, underscores, starting with a letter).
bool is_audience_name(std::string_view trait);

}  // namespace cdp_relay::destinations::spideo
