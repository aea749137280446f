// The decode stage: Kafka message bytes in, canonical events and rejections out.
//
// Invariants:
//  - Every input ends as events, rejections, or both; nothing is silently
//    dropped (an empty batch legitimately yields neither).
//  - One bad item in a batch rejects only that item.
//  - No input crashes the decoder: size, depth and UTF-8 are checked before or
//    during parsing, and every field is read with checked accessors.
//  - Events point into this Decoder's parse buffers (see cdp_relay/event.h):
//    they are valid until the next call to decode().
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp_relay/error.h"
#include "cdp_relay/event.h"
#include "decode/decode_config.h"
#include "util/number_texts.h"

namespace cdp_relay::decode {

// An input (or one item of it) that did not become an event.
struct Rejection {
  Error error;
  // Position of the item inside its batch; 0 for a whole message.
  uint32_t index = 0;
  // True when the whole message was rejected: its DLQ value is the original
  // bytes. Otherwise `value` holds the item as the DLQ wants it (README "Dead-letter topic")
  // (a Segment item with the envelope's context merged in; an mParticle batch
  // reduced to the one bad event).
  bool whole_message = true;
  std::string value;
};

struct DecodedMessage {
  std::vector<CanonicalEvent> events;
  std::vector<Rejection> rejections;
  // Storage for strings the decoder had to synthesize (a numeric userId, a
  // hashed message id). A deque never moves its elements, so views into it
  // stay valid while more are added.
  std::deque<std::string> arena;
  // The decoded document's number texts (owned by the Decoder); events and
  // DLQ values write numbers through it, as they were written.
  const util::NumberTexts* numbers = nullptr;

  void clear() {
    events.clear();
    rejections.clear();
    arena.clear();
  }
  std::string_view keep(std::string text) { return arena.emplace_back(std::move(text)); }
};

class Decoder {
 public:
  explicit Decoder(DecodeLimits limits = {});

  // Decodes one message value. REQUIRES: `origin.topic` and `bytes` outlive
  // the events (their numbers' text is read from `bytes` when an event is
  // encoded). `out` is cleared first.
  void decode(std::string_view bytes, InputFormat format, const Origin& origin,
              DecodedMessage& out);

  // The DLQ value of item `index` of a message that holds several (a Segment
  // batch item with the envelope merged in; an mParticle batch reduced to that
  // event), or nullopt when the original bytes are the right value (a single
  // message, or bytes that no longer parse as a batch). Used when delivery of
  // one event of a batch fails long after its message was decoded.
  std::optional<std::string> item_value(std::string_view bytes, InputFormat format,
                                        uint32_t index);

  const DecodeLimits& limits() const { return limits_; }

 private:
  // Parses `bytes`; a number no 64-bit type holds does not fail the parse
  // (see util::NumberTexts).
  simdjson::error_code parse(std::string_view bytes, simdjson::dom::element& root);

  DecodeLimits limits_;
  simdjson::dom::parser parser_;
  util::NumberTexts numbers_;
  std::string rewritten_;  // the input with unrepresentable numbers replaced
};

// Adds a whole-message rejection.
void reject_message(DecodedMessage& out, Stage stage, Reason reason, std::string message);

}  // namespace cdp_relay::decode
