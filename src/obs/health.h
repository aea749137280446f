// Liveness and readiness state, published by the pipeline loop and read by
// the admin server's thread (README "Operations: admin server, metrics, logs").
//
// Invariants:
//  - Every field is an atomic written only by the loop thread; the admin
//    server only reads. Nothing here blocks the loop.
//  - Readiness is a pure function of a snapshot (evaluate_readiness), so its
//    rules are unit-tested without sockets or clocks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace cdp_relay::obs {

// One HTTP destination, as the loop last saw its delivery engine.
struct DestinationHealth {
  explicit DestinationHealth(std::string destination) : name(std::move(destination)) {}
  const std::string name;
  // How long the circuit breaker has been open (0 = closed), in ms.
  std::atomic<int64_t> circuit_open_ms{0};
  // The last response was 401/403.
  std::atomic<bool> auth_failing{false};
};

class HealthState {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  // REQUIRES: called before the loop starts (not thread-safe).
  DestinationHealth& add_destination(const std::string& name) {
    return destinations_.emplace_back(name);
  }

  // --- written by the loop -------------------------------------------------
  void set_running(bool running) { running_.store(running, std::memory_order_release); }
  void heartbeat(time_point now) {
    heartbeat_ns_.store(now.time_since_epoch().count(), std::memory_order_release);
  }
  // In the group: an assignment arrived (possibly empty: more members than
  // partitions), and it has not been lost since.
  void set_in_group(bool in_group) { in_group_.store(in_group, std::memory_order_release); }
  void set_assigned_partitions(int64_t n) { assigned_.store(n, std::memory_order_release); }

  // --- read by the admin server ----------------------------------------------
  bool running() const { return running_.load(std::memory_order_acquire); }
  time_point last_heartbeat() const {
    return time_point(time_point::duration(heartbeat_ns_.load(std::memory_order_acquire)));
  }
  bool in_group() const { return in_group_.load(std::memory_order_acquire); }
  int64_t assigned_partitions() const { return assigned_.load(std::memory_order_acquire); }
  const std::deque<DestinationHealth>& destinations() const { return destinations_; }

 private:
  std::atomic<bool> running_{false};
  std::atomic<int64_t> heartbeat_ns_{0};
  std::atomic<bool> in_group_{false};
  std::atomic<int64_t> assigned_{0};
  std::deque<DestinationHealth> destinations_;  // deque: stable addresses
};

struct ProbeResult {
  bool ok = false;
  std::string body;  // JSON: {"status":"ok"} or {"status":"...","reasons":[...]}
};

// /healthz: 200 while the loop runs and has turned within `max_stall`.
ProbeResult evaluate_liveness(const HealthState& state, HealthState::time_point now,
                              std::chrono::milliseconds max_stall);

// /readyz: 200 when the loop runs, the consumer is in the group (assigned, or
// waiting with no partition to take) and no destination has had its circuit
// open longer than `max_circuit_open` or answers 401/403. Otherwise 503 with
// every reason that applies.
ProbeResult evaluate_readiness(const HealthState& state, std::chrono::milliseconds max_circuit_open);

}  // namespace cdp_relay::obs
