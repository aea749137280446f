// Spideo's mapping, after Segment's Spideo destination ("track calls surface as
// play / click / buy depending on the event contents"; Engage audiences as user
// properties). The rules are tabled in the README ("Spideo destination").
// Pure functions: no Kafka, no HTTP.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp_relay/event.h"

namespace cdp_relay::destinations::spideo {

// The form event names are compared in: ASCII lowercase, each run of spaces,
// underscores and hyphens one '_', trimmed. "Video Content Playing",
// "video_content_playing" and "VIDEO-CONTENT-PLAYING" are all
// "video_content_playing". Writes into `out` (cleared first).
void normalize_event_name(std::string_view name, std::string& out);
std::string normalized_event_name(std::string_view name);

// Event name -> interaction type, matched in normalized form.
class InteractionTable {
 public:
  explicit InteractionTable(const std::map<std::string, std::string>& configured);
  // `scratch` holds the normalized name, so the lookup allocates only once
  // per encoder rather than once per event.
  std::optional<std::string_view> find(std::string_view event_name, std::string& scratch) const;

 private:
  std::map<std::string, std::string, std::less<>> by_normalized_name_;
};

// Configured names that normalize to the same name with different interaction
// types ("Order Completed: buy" and "order_completed: click"): each is one
// error line "`A` and `B` ...". Empty when the table is consistent.
std::vector<std::string> conflicting_interactions(const std::map<std::string, std::string>& table);

// The content ids of a track, from its properties. The first of these that
// yields at least one id wins:
//   asset_id, content_asset_id, content_asset_ids[], product_id,
//   products[].product_id, promotion_id.
// Each id is a non-empty string or an integer (written in decimal); repeated
// ids are kept once, in first-seen order. Clears `out` first.
void content_ids_of(const CanonicalEvent& event, std::vector<std::string>& out);

// The body of an interaction request: `timestamp` (the event's own time,
// "YYYY-MM-DDThh:mm:ss.mmmZ", so a retried or back-filled interaction keeps
// it), then `origin`, `distributions` and `device`, each from the properties
// first and then the context (context.device.type for the device); absent
// ones are not written. Appends a JSON object to `out`.
void append_interaction_body(std::string& out, const CanonicalEvent& event);

// An Engage audience membership change: user property `property` = `member`.
struct AudienceUpdate {
  std::string_view property;
  bool member = false;
};

enum class AudienceMatch : uint8_t {
  kNotEngage,  // no context.personas with computation_class "audience"
  kNoValue,    // an Engage audience identify without a boolean trait named by computation_key
  kUpdate,     // `update` is set
};

// Reads an Engage audience call: context.personas.computation_class ==
// "audience" names the property in context.personas.computation_key. An
// identify gives the membership in the trait of that name (true/false); a
// track `Audience Entered` means true and `Audience Exited` false (names
// matched like interactions). Any other call, and any event without that
// context (an ordinary boolean trait such as `is_subscriber: true`), is
// kNotEngage.
AudienceMatch engage_audience_of(const CanonicalEvent& event, std::string& scratch,
                                 AudienceUpdate& update);

// Fills {name} placeholders of a URL template with percent-encoded values;
// unknown placeholders are left as they are.
std::string fill_url_template(std::string_view url_template,
                              const std::map<std::string_view, std::string_view>& values);

}  // namespace cdp_relay::destinations::spideo
