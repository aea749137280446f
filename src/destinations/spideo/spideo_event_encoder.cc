#include "destinations/spideo/spideo_event_encoder.h"

#include "destinations/spideo/spideo_wire_request.h"
#include "util/json_writer.h"

namespace cdp_relay::destinations::spideo {

RouteDecision SpideoEventEncoder::encode(const CanonicalEvent& event,
                                                route::WireEvents& out) {
  if (event.source_format != SourceFormat::kSegment) return RouteDecision::kUnsupportedKind;
  // Engage's own calls first: its `Audience Entered` track is a membership
  // change, not a content interaction.
  if (settings_.audiences.enabled) {
    AudienceUpdate update;
    switch (engage_audience_of(event, name_scratch_, update)) {
      case AudienceMatch::kUpdate: return encode_audience(event, update, out);
      case AudienceMatch::kNoValue: return RouteDecision::kNoAudienceValue;
      case AudienceMatch::kNotEngage: break;
    }
  }
  if (event.kind == EventKind::kTrack) return encode_interactions(event, out);
  // Spideo takes track calls and Engage audience calls only; an ordinary
  // identify (even with a boolean trait) is not an audience.
  return RouteDecision::kUnsupportedKind;
}

RouteDecision SpideoEventEncoder::encode_interactions(const CanonicalEvent& event,
                                                             route::WireEvents& out) {
  const auto interaction = interactions_.find(event.name, name_scratch_);
  if (!interaction) return RouteDecision::kUnmappedEvent;
  content_ids_of(event, content_ids_);
  // Counted, not dead-lettered: the event is valid, Spideo just cannot use it.
  if (content_ids_.empty()) return RouteDecision::kNoContentId;
  body_.clear();
  append_interaction_body(body_, event);
  std::map<std::string_view, std::string_view> values = {{"user", event.user_key()},
                                                         {"interaction", *interaction}};
  for (const std::string& content_id : content_ids_) {
    values["content_id"] = content_id;
    write_request(settings_.method, settings_.url_template, values, body_, out);
  }
  return RouteDecision::kRouted;
}

RouteDecision SpideoEventEncoder::encode_audience(const CanonicalEvent& event,
                                                         const AudienceUpdate& update,
                                                         route::WireEvents& out) {
  body_.clear();
  util::JsonObjectWriter body(body_);
  body.bool_member("value", update.member);
  body.close();
  std::map<std::string_view, std::string_view> values = {{"user", event.user_key()},
                                                         {"property", update.property}};
  write_request(settings_.audiences.method, settings_.audiences.url_template, values, body_, out);
  return RouteDecision::kRouted;
}

void SpideoEventEncoder::write_request(std::string_view method, std::string_view url_template,
                                       std::map<std::string_view, std::string_view>& values,
                                       std::string_view body, route::WireEvents& out) const {
  // Without a configured client (`transform` with no config) the placeholder
  // stays visible rather than producing a wrong host.
  if (!settings_.client.empty()) values["client"] = settings_.client;
  const std::string url = fill_url_template(url_template, values);
  if (needs_no_json_escape(method) && needs_no_json_escape(url)) {
    write_wire_request(out.buffer(), {method, url, body});
  } else {
    // Only a template that was never checked (a disabled destination's, in
    // `transform`) gets here: still valid JSON, which the request builder
    // would refuse.
    util::JsonObjectWriter request(out.buffer());
    request.string_member("method", method);
    request.string_member("url", url);
    request.key("body");
    out.buffer().append(body);
    request.close();
  }
  out.end_event();
}

}  // namespace cdp_relay::destinations::spideo
