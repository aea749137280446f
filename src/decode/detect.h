// Format detection for `format: auto` (README "Inputs").
#pragma once

#include <simdjson.h>

#include "decode/decode_config.h"

namespace cdp_relay::decode {

enum class PayloadShape : uint8_t {
  kSegmentMessage,  // one Segment call
  kSegmentBatch,    // {"batch":[...], "context":..., "integrations":...}
  kMparticleBatch,  // {"events":[...], "mpid"|"user_identities"|"environment":...}
  kUnknown,
};

// Classifies a parsed payload. With a forced format, only that format's shapes
// are considered: a forced `segment` object without `batch` is a message (its
// type is checked later and may be unsupported_type), and a forced `mparticle`
// object needs an `events` array.
PayloadShape detect_shape(simdjson::dom::element root, InputFormat format);

}  // namespace cdp_relay::decode
