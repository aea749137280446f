#include "destinations/spideo/spideo_event_encoder.h"

#include "destinations/spideo/spideo_mapping.h"
#include "util/json_writer.h"

namespace cdp_relay::destinations::spideo {

route::RouteDecision SpideoEventEncoder::encode(const CanonicalEvent& event,
                                                route::WireEvents& out) {
  if (event.source_format == SourceFormat::kSegment && event.kind == EventKind::kTrack) {
    return encode_interaction(event, out);
  }
  if (settings_.audiences.enabled && event.source_format == SourceFormat::kSegment &&
      event.kind == EventKind::kIdentify) {
    return encode_audiences(event, out);
  }
  return route::RouteDecision::kUnsupportedKind;  // Spideo takes track calls only
}

route::RouteDecision SpideoEventEncoder::encode_interaction(const CanonicalEvent& event,
                                                            route::WireEvents& out) {
  const auto interaction = interaction_for(event.name, settings_.interactions);
  if (!interaction) return route::RouteDecision::kUnmappedEvent;
  const auto content_id = content_id_of(event);
  // Counted, not dead-lettered: the event is valid, Spideo just cannot use it.
  if (!content_id) return route::RouteDecision::kNoContentId;
  std::map<std::string_view, std::string_view> values = {
      {"user", event.user_key()}, {"interaction", *interaction}, {"content_id", *content_id}};
  // Without a configured client (`transform` with no config) the placeholder
  // stays visible rather than producing a wrong host.
  if (!settings_.client.empty()) values["client"] = settings_.client;
  const std::string url = fill_url_template(settings_.url_template, values);
  util::JsonObjectWriter request(out.buffer());
  request.string_member("method", settings_.method);
  request.string_member("url", url);
  request.key("body");
  append_interaction_body(out.buffer(), event);
  request.close();
  out.end_event();
  return route::RouteDecision::kRouted;
}

route::RouteDecision SpideoEventEncoder::encode_audiences(const CanonicalEvent& event,
                                                          route::WireEvents& out) {
  if (!event.traits) return route::RouteDecision::kUnsupportedKind;
  for (auto trait : *event.traits) {
    bool member;
    if (!is_audience_name(trait.key) || trait.value.get(member) != simdjson::SUCCESS) continue;
    std::map<std::string_view, std::string_view> values = {{"user", event.user_key()},
                                                           {"property", trait.key}};
    if (!settings_.client.empty()) values["client"] = settings_.client;
    const std::string url = fill_url_template(settings_.audiences.url_template, values);
    util::JsonObjectWriter request(out.buffer());
    request.string_member("method", settings_.audiences.method);
    request.string_member("url", url);
    request.key("body");
    util::JsonObjectWriter body(out.buffer());
    body.bool_member("value", member);
    body.close();
    request.close();
    out.end_event();
  }
  return out.count() > 0 ? route::RouteDecision::kRouted : route::RouteDecision::kUnsupportedKind;
}

}  // namespace cdp_relay::destinations::spideo
