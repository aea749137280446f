// Fuzz target: decode then the Vidora mapping and encoder, through
// route::TransformStage with VidoraEventEncoder (README "Vidora mapping").
//
// Checks: every encoded event is a JSON object whose values are all scalars
// (Vidora takes flat objects only: nested objects are flattened, arrays become
// strings), with unique keys, and valid UTF-8 (simdjson validates it).
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "destinations/vidora/vidora_config.h"
#include "destinations/vidora/vidora_event_encoder.h"
#include "route/transform_stage.h"
#include "util/number_texts.h"

namespace {

using cdp_relay::decode::InputFormat;
using cdp_relay::route::TransformResult;
using cdp_relay::route::TransformStage;

void check(bool ok) {
  if (!ok) std::abort();
}

std::unique_ptr<TransformStage> make_stage(bool iso_timestamps, bool filtering) {
  cdp_relay::destinations::vidora::VidoraSettings settings;
  settings.timestamp_format = iso_timestamps
                                  ? cdp_relay::destinations::vidora::TimestampFormat::kIso8601
                                  : cdp_relay::destinations::vidora::TimestampFormat::kUnixSeconds;
  settings.personal_data_filtering = filtering;
  std::vector<std::unique_ptr<cdp_relay::route::EventEncoder>> encoders;
  encoders.push_back(
      std::make_unique<cdp_relay::destinations::vidora::VidoraEventEncoder>(settings));
  return std::make_unique<TransformStage>(
      cdp_relay::decode::DecodeLimits{.max_message_bytes = 64 * 1024, .max_depth = 16,
                                      .max_batch_items = 64, .max_string_bytes = 1024},
      std::move(encoders));
}

void check_flat_object(std::string_view bytes, simdjson::dom::parser& parser) {
  // Numbers go out as written, so an event may hold one that no 64-bit type
  // holds (an integer beyond 64 bits, 1e400): parsed the way the decoder
  // parses its input, with those replaced by markers.
  static cdp_relay::util::NumberTexts numbers;
  static std::string rewritten;
  simdjson::dom::object object;
  simdjson::error_code code = parser.parse(bytes.data(), bytes.size(), true).get(object);
  if (code == simdjson::NUMBER_ERROR && numbers.rewrite_unrepresentable(bytes, rewritten) > 0) {
    code = parser.parse(rewritten.data(), rewritten.size(), true).get(object);
  }
  check(code == simdjson::SUCCESS);
  std::set<std::string_view> keys;
  for (auto member : object) {
    check(keys.insert(member.key).second);
    check(!member.value.is_object() && !member.value.is_array());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto stage_unix = make_stage(false, true);
  static auto stage_iso = make_stage(true, false);
  static TransformResult result;
  static simdjson::dom::parser parser;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  cdp_relay::Origin origin;
  origin.topic = "fuzz";
  origin.partition = 0;
  origin.offset = 1;

  for (TransformStage* stage : {stage_unix.get(), stage_iso.get()}) {
    for (InputFormat format :
         {InputFormat::kAuto, InputFormat::kSegment, InputFormat::kMparticle}) {
      stage->process(bytes, format, origin, result);
      const auto& output = result.outputs.front();
      check(output.events.size() + output.skipped + output.filtered ==
            result.decoded.events.size());
      for (const auto& slice : output.events) {
        check(slice.event_index < result.decoded.events.size());
        check_flat_object(output.bytes(slice), parser);
      }
    }
  }
  return 0;
}
