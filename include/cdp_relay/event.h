// The canonical event: the one shape every input format is decoded into and
// every destination maps from (docs/architecture.md "Data path").
//
// Lifetime invariant: the string views and JSON views in a CanonicalEvent
// point into the simdjson document of the Decoder that produced it, or into
// the owning DecodedMessage's arena. They stay valid until that Decoder decodes
// its next message. The transform stage therefore encodes every event for
// every destination before it decodes the next message; nothing downstream of
// the transform stage holds a CanonicalEvent.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace cdp_relay {
namespace util {
class NumberTexts;
}

enum class SourceFormat : uint8_t { kSegment, kMparticle };

// Segment calls first, then mParticle event types.
enum class EventKind : uint8_t {
  kTrack,
  kPage,
  kScreen,
  kIdentify,
  kGroup,
  kAlias,
  kCustomEvent,
  kScreenView,
  kCommerceEvent,
  kSessionStart,
  kSessionEnd,
  kApplicationStateTransition,
  kPushMessage,
  kPushRegistration,
  kPushReaction,
  kUserAttributeChange,
  kUserIdentityChange,
  kCrashReport,
  kOptOut,
  kUninstall,
  kBreadcrumb,
  kProfile,
  kFirstRun,
  kPreAttribution,
  kNetworkPerformance,
};

std::string_view to_string(SourceFormat format);
// Segment calls render as their `type` ("track"), mParticle kinds as their
// `event_type` ("custom_event").
std::string_view to_string(EventKind kind);
std::optional<EventKind> segment_kind_from_type(std::string_view type);
std::optional<EventKind> mparticle_kind_from_event_type(std::string_view event_type);

// Where an event came from. `index` is its position inside a batch (0 for a
// single message); together the four fields identify an event uniquely.
struct Origin {
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
  uint32_t index = 0;
  int64_t kafka_timestamp_ms = -1;  // -1 when the broker gave none
};

using JsonObject = std::optional<simdjson::dom::object>;

// A JSON object whose keys fall back to a second object: a Segment batch item's
// `context` over the envelope's `context`. Keys of `own` win (README "Inputs").
struct LayeredObject {
  JsonObject own;
  JsonObject inherited;

  bool empty() const { return !own && !inherited; }
  // Looks a key up in `own`, then in `inherited`.
  std::optional<simdjson::dom::element> find(std::string_view key) const;
};

// Consent as parsed leniently from mParticle's consent_state.
struct Consent {
  std::optional<bool> ccpa_data_sale_opt_out;  // ccpa.data_sale_opt_out.consented
  JsonObject gdpr;                             // purpose -> {consented, ...}

  // The `consented` flag of one GDPR purpose, if present and readable.
  std::optional<bool> gdpr_consented(std::string_view purpose) const;
};

// Batch- and event-level mParticle fields that have no Segment equivalent.
// All are absent for Segment events.
struct MparticleDetails {
  JsonObject device_info;
  JsonObject application_info;
  std::optional<simdjson::dom::element> user_identities;  // array or map
  std::string_view ip;
  std::string_view environment;
  std::string_view custom_event_type;            // custom_event only
  std::string_view application_transition_type;  // application_state_transition only
  std::string_view user_agent;                   // device_info.http_header_user_agent
  JsonObject event_data;                         // the event's `data` (commerce details etc.)
  // Which decoded batch the event came from: events with the same nonzero
  // serial share the batch fields above and `traits`, so a destination may
  // encode those once per batch. Unique across decoders in the process; 0
  // for events not made by a decoder (then nothing may be shared).
  uint64_t batch_serial = 0;
};

struct CanonicalEvent {
  SourceFormat source_format = SourceFormat::kSegment;
  EventKind kind = EventKind::kTrack;
  std::string_view name;          // event, page or screen name; may be empty
  std::string_view user_id;       // Segment userId or the MPID as decimal
  std::string_view anonymous_id;
  std::string_view message_id;    // messageId / source_message_id / stable hash
  int64_t timestamp_ms = 0;
  std::string_view group_id;      // group calls
  std::string_view category;      // page calls
  std::string_view previous_id;   // alias calls
  JsonObject properties;          // Segment properties, mParticle custom_attributes
  JsonObject traits;              // Segment traits, mParticle user_attributes
  LayeredObject context;
  LayeredObject integrations;
  Consent consent;
  MparticleDetails mparticle;
  Origin origin;
  // The original text of the document's numbers, for writing them out as
  // they were written (util/number_texts.h); null when not from a decoder.
  const util::NumberTexts* numbers = nullptr;

  // The user key for ordering and for the normalized topic: user_id, else anonymous_id.
  std::string_view user_key() const { return user_id.empty() ? anonymous_id : user_id; }
};

}  // namespace cdp_relay
