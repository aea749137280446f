#include "obs/health.h"

#include "util/json_writer.h"

namespace cdp_relay::obs {
namespace {

std::string report(bool ok, const std::vector<std::string>& reasons, int64_t partitions = -1) {
  std::string out = "{\"status\":";
  util::append_json_string(out, ok ? "ok" : "unavailable");
  if (partitions >= 0) {
    out += ",\"assigned_partitions\":";
    util::append_int(out, partitions);
  }
  if (!reasons.empty()) {
    out += ",\"reasons\":[";
    for (size_t i = 0; i < reasons.size(); ++i) {
      if (i != 0) out.push_back(',');
      util::append_json_string(out, reasons[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

}  // namespace

ProbeResult evaluate_liveness(const HealthState& state, HealthState::time_point now,
                              std::chrono::milliseconds max_stall) {
  std::vector<std::string> reasons;
  if (!state.running()) {
    reasons.push_back("the pipeline loop is not running");
  } else if (now - state.last_heartbeat() > max_stall) {
    reasons.push_back("the pipeline loop has not turned for " +
                      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         now - state.last_heartbeat())
                                         .count()) +
                      " s");
  }
  return ProbeResult{reasons.empty(), report(reasons.empty(), reasons)};
}

ProbeResult evaluate_readiness(const HealthState& state, std::chrono::milliseconds max_circuit_open) {
  std::vector<std::string> reasons;
  if (!state.running()) reasons.push_back("the pipeline loop is not running");
  if (!state.in_group()) reasons.push_back("the consumer has not joined its group yet");
  for (const DestinationHealth& destination : state.destinations()) {
    const int64_t open_ms = destination.circuit_open_ms.load(std::memory_order_acquire);
    if (open_ms > max_circuit_open.count()) {
      reasons.push_back(destination.name + ": circuit open for " + std::to_string(open_ms / 1000) +
                        " s (limit " + std::to_string(max_circuit_open.count() / 1000) + " s)");
    }
    if (destination.auth_failing.load(std::memory_order_acquire)) {
      reasons.push_back(destination.name + ": the destination rejects the credentials (401/403)");
    }
  }
  return ProbeResult{reasons.empty(),
                     report(reasons.empty(), reasons, state.assigned_partitions())};
}

}  // namespace cdp_relay::obs
