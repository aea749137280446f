// Runs inputs through the real TransformStage with a VidoraEventEncoder and
// hands back the encoded events parsed with nlohmann::json, for the Vidora
// mapping, encoder and fixture tests.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "destinations/vidora/vidora_config.h"
#include "destinations/vidora/vidora_event_encoder.h"
#include "route/transform_stage.h"
#include "support/decode_helpers.h"

namespace cdp_relay::testing {

struct VidoraRun {
  std::vector<nlohmann::json> events;  // parsed output, one per encoded event
  std::vector<std::string> raw;        // the exact bytes of each event
  uint32_t skipped = 0;
  uint32_t filtered = 0;
  uint32_t dropped_values = 0;
  std::vector<decode::Rejection> rejections;
};

class VidoraHarness {
 public:
  explicit VidoraHarness(destinations::vidora::VidoraSettings settings = {},
                         decode::DecodeLimits limits = {})
      : stage_(limits, make_encoders(settings)) {}

  VidoraRun run(std::string_view input, decode::InputFormat format = decode::InputFormat::kAuto,
                int64_t offset = 42) {
    const Origin origin = test_origin(offset);
    stage_.process(input, format, origin, result_);
    VidoraRun run;
    const route::DestinationOutput& output = result_.outputs.at(0);
    for (const auto& slice : output.events) {
      run.raw.emplace_back(output.bytes(slice));
      nlohmann::json parsed = nlohmann::json::parse(run.raw.back(), nullptr, false);
      EXPECT_FALSE(parsed.is_discarded()) << run.raw.back();
      run.events.push_back(std::move(parsed));
    }
    run.skipped = output.skipped;
    run.filtered = output.filtered;
    run.dropped_values = output.dropped_values;
    run.rejections = result_.decoded.rejections;
    return run;
  }

  // Exactly one encoded event, or a failed expectation and an empty object.
  nlohmann::json one(std::string_view input,
                     decode::InputFormat format = decode::InputFormat::kAuto) {
    VidoraRun r = run(input, format);
    EXPECT_EQ(r.events.size(), 1u) << reasons_of(result_.decoded) << " skipped=" << r.skipped
                                   << " filtered=" << r.filtered;
    return r.events.empty() ? nlohmann::json::object() : r.events.front();
  }

 private:
  static std::vector<std::unique_ptr<route::EventEncoder>> make_encoders(
      const destinations::vidora::VidoraSettings& settings) {
    std::vector<std::unique_ptr<route::EventEncoder>> encoders;
    encoders.push_back(std::make_unique<destinations::vidora::VidoraEventEncoder>(settings));
    return encoders;
  }

  route::TransformStage stage_;
  route::TransformResult result_;
};

// True when `event` is a JSON object whose values are all scalars.
inline bool is_flat_object(const nlohmann::json& event) {
  if (!event.is_object()) return false;
  for (const auto& [key, value] : event.items()) {
    if (value.is_object() || value.is_array()) return false;
  }
  return true;
}

}  // namespace cdp_relay::testing
