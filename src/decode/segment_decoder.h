// Segment-spec messages and batch envelopes (README "Inputs").
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>

#include "cdp_relay/error.h"
#include "decode/decoder.h"

namespace cdp_relay::decode {

// The parts of a `{"batch":[...]}` envelope that are merged into each item.
struct SegmentEnvelope {
  JsonObject context;
  JsonObject integrations;
};

// Validates one message and appends its canonical event to `out.events`.
// Returns the error instead when the message is invalid; appends nothing then.
std::optional<Error> decode_segment_message(simdjson::dom::object message,
                                            const SegmentEnvelope& envelope,
                                            const Origin& origin, DecodedMessage& out);

// Decodes every item of an envelope. Bad items become item rejections whose
// DLQ value is the item with the envelope's context and integrations merged in.
// `check_strings`: whether items are checked against limits.max_string_bytes
// (the caller skips it when the whole message is shorter than the limit).
void decode_segment_batch(simdjson::dom::object envelope, const Origin& origin,
                          const DecodeLimits& limits, bool check_strings, DecodedMessage& out);

// The DLQ value of a batch item: the item with the envelope's context and
// integrations merged in (item keys win).
std::string merged_item_json(simdjson::dom::object item, const SegmentEnvelope& envelope,
                             const util::NumberTexts* numbers);

}  // namespace cdp_relay::decode
