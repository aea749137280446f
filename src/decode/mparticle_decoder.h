// mParticle batches as mParticle's Kafka/event outputs deliver them
// (README "Inputs"), with the inbound Events API shape accepted too.
#pragma once

#include <simdjson.h>

#include <string>

#include "decode/decoder.h"

namespace cdp_relay::decode {

// Decodes every event of a batch. A batch-level problem (no MPID, too many
// events) rejects the whole message; an event-level problem rejects only that
// event, whose DLQ value is the batch reduced to that one event.
// `check_strings`: whether events are checked against limits.max_string_bytes
// (the caller skips it when the whole message is shorter than the limit).
void decode_mparticle_batch(simdjson::dom::object batch, const Origin& origin,
                            const DecodeLimits& limits, bool check_strings,
                            DecodedMessage& out);

// The DLQ value of one event: the batch with `events` reduced to it.
std::string single_event_batch_json(simdjson::dom::object batch, simdjson::dom::element event,
                                    const util::NumberTexts* numbers);

}  // namespace cdp_relay::decode
