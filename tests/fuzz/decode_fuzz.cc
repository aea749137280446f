// Fuzz target: the format detector and the Segment and mParticle decoders,
// through decode::Decoder with every InputFormat (README "Tests").
//
// Checks, beyond "no crash, no sanitizer report": every input ends as events
// or rejections or neither (an empty batch), every rejection has a named
// reason, every event's views can be read (ASan catches a dangling one), and
// item_value() of every item rejection is total.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "decode/decoder.h"

namespace {

using cdp_relay::decode::DecodedMessage;
using cdp_relay::decode::Decoder;
using cdp_relay::decode::InputFormat;

size_t touch(std::string_view text) {
  size_t sum = 0;
  for (char c : text) sum += static_cast<unsigned char>(c);
  return sum;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Small limits so the fuzzer reaches them with small inputs too.
  static Decoder decoder(cdp_relay::decode::DecodeLimits{
      .max_message_bytes = 64 * 1024, .max_depth = 16, .max_batch_items = 64,
      .max_string_bytes = 1024});
  static DecodedMessage out;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  cdp_relay::Origin origin;
  origin.topic = "fuzz";
  origin.partition = 1;
  origin.offset = 7;

  volatile size_t sink = 0;
  for (InputFormat format : {InputFormat::kAuto, InputFormat::kSegment, InputFormat::kMparticle}) {
    decoder.decode(bytes, format, origin, out);
    for (const auto& event : out.events) {
      sink = sink + touch(event.name) + touch(event.user_id) + touch(event.anonymous_id) +
             touch(event.message_id) + touch(event.group_id) + touch(event.category) +
             touch(event.previous_id) + touch(event.origin.topic);
      check(!event.user_key().empty());
      check(!event.message_id.empty());
    }
    for (const auto& rejection : out.rejections) {
      check(to_string(rejection.error.reason) != "unknown");
      check(!rejection.error.message.empty());
      sink = sink + touch(rejection.value);
    }
    // Item values re-parse the bytes: the events above are invalid after this.
    const auto rejections = std::move(out.rejections);
    for (const auto& rejection : rejections) {
      if (rejection.whole_message) continue;
      auto value = decoder.item_value(bytes, format, rejection.index);
      if (value) sink = sink + touch(*value);
    }
  }
  return 0;
}
