// The admin HTTP server (README "Operations: admin server, metrics, logs",
// default port 9464), on cpp-httplib:
//   GET /metrics  Prometheus text format 0.0.4 (prometheus-cpp's TextSerializer
//                 over our registry; prometheus-cpp's civetweb Exposer is not
//                 used, so the relay has one HTTP server library)
//   GET /healthz  200 while the pipeline loop runs and turns; else 503
//   GET /readyz   200 when ready (see obs::evaluate_readiness); else 503 with
//                 a JSON list of reasons
//
// Threading: the server runs on a thread of its own (plus a two-thread
// handler pool). Handlers only read atomics (HealthState) and collect the
// thread-safe prometheus registry; they never touch pipeline state.
#pragma once

#include <memory>
#include <thread>

#include "obs/admin_config.h"
#include "obs/health.h"
#include "obs/metrics.h"

namespace httplib {
class Server;
}

namespace cdp_relay::obs {

class AdminServer {
 public:
  // How long the loop may go without turning before /healthz fails.
  static constexpr std::chrono::seconds kMaxLoopStall{60};

  AdminServer(const AdminSettings& settings, Metrics& metrics, const HealthState& health);
  ~AdminServer();  // stops serving
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds admin.listen (port 0: a free port) and serves from a thread.
  // Throws std::runtime_error when the address cannot be bound (startup only).
  void start();
  // Idempotent.
  void stop();
  // The bound port (the real one when admin.listen asked for 0).
  int port() const { return port_; }

 private:
  AdminSettings settings_;
  Metrics& metrics_;
  const HealthState& health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = -1;
};

}  // namespace cdp_relay::obs
