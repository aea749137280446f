// Encodes canonical events as Vidora's flat event objects, and events into
// request bodies (README "Vidora wire format: assumptions").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp_relay/event.h"
#include "destinations/vidora/flat_object_writer.h"
#include "destinations/vidora/vidora_config.h"

namespace cdp_relay::destinations::vidora {

struct VidoraEncodeOptions {
  TimestampFormat timestamp_format = TimestampFormat::kUnixSeconds;
  bool personal_data_filtering = true;
  // VidoraSettings::segment_context.
  std::vector<std::string> segment_context = VidoraSettings::default_segment_context();
};

// Field order of every event: the reserved fields first, then fields the
// mapping adds for the call (name, category, group_id, mParticle details),
// then the flattened custom parameters.
class VidoraEncoder {
 public:
  explicit VidoraEncoder(VidoraEncodeOptions options);

  // Appends the event object to `out`.
  // REQUIRES: `type` is vidora_type(event) and is set.
  void encode(const CanonicalEvent& event, std::string_view type, std::string& out);

  // Values the last encode() could not write under any key (README, "Vidora
  // mapping": collisions beyond the numbered suffixes).
  size_t dropped_values() const { return writer_.dropped(); }

  // The request body around already encoded events: {"data":[e1,e2,...]}.
  // `payload_of(element)` gives an element's encoded event.
  template <typename Range, typename PayloadOf>
  static void append_request_body(std::string& out, const Range& events, PayloadOf payload_of) {
    out.append(kBodyPrefix);
    bool first = true;
    for (const auto& event : events) {
      if (!first) out.push_back(',');
      first = false;
      out.append(payload_of(event));
    }
    out.append(kBodySuffix);
  }
  static void append_request_body(std::string& out, const std::vector<std::string_view>& events) {
    append_request_body(out, events, [](std::string_view event) { return event; });
  }
  // Bytes the body adds around `events` encoded events.
  static size_t request_framing_bytes(size_t events) {
    return kBodyPrefix.size() + kBodySuffix.size() + (events > 0 ? events - 1 : 0);
  }

  static constexpr std::string_view kBodyPrefix = "{\"data\":[";
  static constexpr std::string_view kBodySuffix = "]}";

 private:
  void encode_object(const CanonicalEvent& event, std::string_view type, std::string& out);
  void encode_segment_fields(const CanonicalEvent& event);
  void encode_segment_context(const CanonicalEvent& event);
  // Writes the configured members of one context object, except those
  // `shadowing` (the item's own context) also has.
  void encode_context_members(simdjson::dom::object context,
                              const simdjson::dom::object* shadowing);
  struct ContextMember;
  const ContextMember* find_context_member(std::string_view key) const;
  void encode_mparticle_fields(const CanonicalEvent& event);
  // The fields of the event's `data` that its event_type defines.
  void encode_mparticle_event_data(const CanonicalEvent& event, simdjson::dom::object data);
  void encode_user_attribute_change(simdjson::dom::object data);
  void encode_user_identity_change(simdjson::dom::object data);
  void encode_user_identities(simdjson::dom::element identities);
  // An mParticle batch's device_info and user attributes: written once per
  // batch (event.mparticle.batch_serial) and pasted into each of its events.
  void encode_batch_attributes(const CanonicalEvent& event);
  void write_batch_attributes(FlatObjectWriter& writer, const CanonicalEvent& event) const;

  VidoraEncodeOptions options_;
  // segment_context, with how each member is written.
  struct ContextMember {
    std::string name;  // Segment's name: "page", "userAgent"
    enum How : uint8_t { kFlattened, kUserAgent, kIp } how;
  };
  std::vector<ContextMember> context_members_;
  uint64_t context_lengths_ = 0;  // bit n set: a configured name has n bytes
  // encode_context_members' scratch: the context's configured members in
  // order, and per configured name the index of its last one there.
  struct FoundContextMember {
    const ContextMember* wanted;
    std::string_view key;
    simdjson::dom::element value;
  };
  std::vector<FoundContextMember> context_found_;
  static constexpr uint32_t kNoPosition = ~uint32_t{0};
  std::vector<uint32_t> context_last_found_;
  FlatObjectWriter writer_;
  FlatObjectWriter fragment_writer_;
  std::string fragment_scratch_;
  FlatObjectWriter::Fragment batch_attributes_;
  uint64_t fragment_serial_ = 0;  // the batch batch_attributes_ was written for; 0 = none
  // encode_mparticle_event_data's scratch: each field to forward, the key it
  // goes out under, and its last value in the event's data.
  struct DataField {
    std::string_view name;
    std::string_view key;
    std::optional<simdjson::dom::element> value;
  };
  std::vector<DataField> data_fields_;
  std::string timestamp_text_;
  std::string consent_key_;
};

}  // namespace cdp_relay::destinations::vidora
