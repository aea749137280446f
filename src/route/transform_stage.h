// The stateless transform stage: bytes -> decode -> validate -> route ->
// per-destination wire form (DESIGN.md sections 1-4).
//
// It owns no Kafka or HTTP: the `transform` command, the pipeline and the
// benchmark all drive it the same way. Everything it returns refers to its own
// buffers and is valid until the next call to process().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "route/event_encoder.h"

namespace cdp_relay::route {

// One encoded event: its bytes are buffer[offset, offset+length) of the
// destination's output; `event_index` points into decoded.events.
struct EncodedSlice {
  uint32_t event_index = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
};

struct DestinationOutput {
  std::string buffer;
  std::vector<EncodedSlice> events;
  uint32_t skipped = 0;   // the destination does not take the kind (alias)
  uint32_t filtered = 0;  // kept away by the integrations object

  std::string_view bytes(const EncodedSlice& slice) const {
    return std::string_view(buffer).substr(slice.offset, slice.length);
  }
};

struct TransformResult {
  decode::DecodedMessage decoded;
  std::vector<DestinationOutput> outputs;  // parallel to the stage's encoders
};

class TransformStage {
 public:
  TransformStage(decode::DecodeLimits limits, std::vector<std::unique_ptr<EventEncoder>> encoders);

  void process(std::string_view bytes, decode::InputFormat format, const Origin& origin,
               TransformResult& result);

  const std::vector<std::unique_ptr<EventEncoder>>& encoders() const { return encoders_; }

 private:
  decode::Decoder decoder_;
  std::vector<std::unique_ptr<EventEncoder>> encoders_;
};

}  // namespace cdp_relay::route
