// `cdp-relay transform`: JSON lines on stdin -> the destination's wire events
// on stdout, one line per event; one JSON error line per rejection on stderr.
#pragma once

#include <cstdio>
#include <istream>
#include <string>

#include "app/relay_config.h"

namespace cdp_relay::app {

struct TransformOptions {
  std::string destination = "vidora";
  decode::InputFormat format = decode::InputFormat::kAuto;
  std::string topic = "stdin";  // reported as the origin topic
};

struct TransformCounts {
  size_t lines = 0;
  size_t events = 0;
  size_t rejected = 0;
};

// Runs the transform stage over `in`. Never fails on bad input: rejections
// are reported on `err` and counted.
TransformCounts run_transform(const RelayConfig& config, const TransformOptions& options,
                              std::istream& in, std::FILE* out, std::FILE* err);

}  // namespace cdp_relay::app
