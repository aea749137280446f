// The seam between the transform stage and a destination's mapping code.
// A destination maps and encodes; it never batches, retries or sends.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdp_relay/event.h"
#include "cdp_relay/route_decision.h"

namespace cdp_relay::route {

// One wire event: buffer[offset, offset+length) of its destination's output;
// `event_index` points into the decoded message's events.
struct EncodedSlice {
  uint32_t event_index = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
};

// An event that reached the destination incompletely or not at all, and
// why: `cdp-relay transform` explains each on stderr.
struct EventNote {
  uint32_t event_index = 0;
  // Why it was not routed; kRouted for a routed event that lost values.
  RouteDecision decision = RouteDecision::kRouted;
  // Values the mapping could not write under any key (key collisions beyond
  // the destination's renaming rule).
  uint32_t dropped_values = 0;
};

// A destination's output for one Kafka message.
struct DestinationOutput {
  std::string buffer;
  std::vector<EncodedSlice> events;
  uint32_t skipped = 0;   // the destination's mapping takes no such event (alias, ...)
  uint32_t filtered = 0;  // routing kept them away (integrations, rules, consent)
  uint32_t dropped_values = 0;  // sum of the notes' dropped_values
  std::array<uint32_t, kRouteDecisionCount> decisions{};  // canonical events per decision
  std::vector<EventNote> notes;  // events not routed, or routed with dropped values

  std::string_view bytes(const EncodedSlice& slice) const {
    return std::string_view(buffer).substr(slice.offset, slice.length);
  }
  void clear() {
    buffer.clear();
    events.clear();
    skipped = 0;
    filtered = 0;
    dropped_values = 0;
    decisions.fill(0);
    notes.clear();
  }
};

// Where an encoder writes the wire events of one canonical event: usually one
// (a Vidora event), sometimes several (Spideo: one request per interaction or
// audience), or none.
class WireEvents {
 public:
  WireEvents(DestinationOutput& output, uint32_t event_index)
      : output_(output), event_index_(event_index), start_(output.buffer.size()) {}

  std::string& buffer() { return output_.buffer; }
  // Everything appended since the previous end_event() is one wire event.
  void end_event() {
    const size_t end = output_.buffer.size();
    output_.events.push_back(EncodedSlice{event_index_, static_cast<uint32_t>(start_),
                                          static_cast<uint32_t>(end - start_)});
    start_ = end;
    ++count_;
  }
  size_t count() const { return count_; }
  // The event lost `count` values on the way (see EventNote).
  void dropped_values(uint32_t count) {
    output_.dropped_values += count;
    output_.notes.push_back(EventNote{event_index_, RouteDecision::kRouted, count});
  }

 private:
  DestinationOutput& output_;
  uint32_t event_index_;
  size_t start_;
  size_t count_ = 0;
};

class EventEncoder {
 public:
  virtual ~EventEncoder() = default;
  // The destination's name in config, metrics and DLQ headers: "vidora".
  virtual std::string_view destination() const = 0;
  // Its key in Segment's `integrations` object ("Vidora"); empty when the
  // integrations object does not apply (the normalized topic).
  virtual std::string_view integration_name() const = 0;
  // Writes the event's wire events to `out`. Returns kRouted when it wrote at
  // least one, else the mapping's reason for skipping (kUnsupportedKind, ...).
  virtual RouteDecision encode(const CanonicalEvent& event, WireEvents& out) = 0;
};

}  // namespace cdp_relay::route
