// `cdp-relay demo`: the whole pipeline with no external services. An embedded
// librdkafka mock cluster and the Vidora emulator run on loopback ports, a
// producer streams a realistic mix (with a few malformed inputs), the real
// pipeline relays it, and a summary reconciles
//   produced = delivered + dead-lettered (+ skipped by mapping)
// exactly.
#pragma once

#include <cstdint>
#include <string>

namespace cdp_relay::app {

struct DemoOptions {
  uint64_t events = 100000;  // stop after this many input events
  int partitions = 6;
  double malformed_ratio = 0.01;
  bool quiet = false;        // no progress line (tests)
  // When set, the admin server's /metrics is fetched over HTTP once every
  // event is accounted for (before shutdown) and written here (scripts/check-exposition.sh feeds it to promtool).
  std::string metrics_file;
};

// Returns 0 when the run reconciled, 1 otherwise.
int run_demo(const DemoOptions& options);

}  // namespace cdp_relay::app
