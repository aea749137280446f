// The seam between the transform stage and a destination's mapping code.
// A destination maps and encodes; it never batches, retries or sends.
#pragma once

#include <string>
#include <string_view>

#include "cdp_relay/event.h"

namespace cdp_relay::route {

enum class EncodeVerdict : uint8_t {
  kEncoded,  // the event's wire form was appended
  kSkipped,  // the destination does not take this kind of event (e.g. alias)
};

class EventEncoder {
 public:
  virtual ~EventEncoder() = default;
  // The destination's name in config, metrics and DLQ headers: "vidora".
  virtual std::string_view destination() const = 0;
  // Its key in Segment's `integrations` object: "Vidora".
  virtual std::string_view integration_name() const = 0;
  // Whether Segment's `integrations` object can keep events away from it.
  virtual bool honours_integrations() const { return true; }
  // Appends the wire form of `event` to `out`, or appends nothing and skips.
  virtual EncodeVerdict encode(const CanonicalEvent& event, std::string& out) = 0;
};

}  // namespace cdp_relay::route
