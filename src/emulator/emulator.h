// The Vidora / Spideo emulator: a real HTTP server (cpp-httplib) that stands in
// for both destinations in tests, `cdp-relay demo`, `cdp-relay emulate` and
// docker-compose. docs/emulator.md is the operator-facing description.
//
// Endpoints:
//   POST {vidora_path}?api_key=KEY           Vidora events (README "Vidora wire
//                                            format: assumptions")
//   PUT|POST|PATCH {spideo_prefix}/users/{user}/interactions/{interaction}/{content_id}?apikey=KEY
//   PUT|POST|PATCH {spideo_prefix}/users/{user}/properties/{name}?apikey=KEY
//                                            Spideo (README "Spideo destination")
//   GET  /healthz                            liveness: 200 "ok"
//   GET  /_emulator/stats                    {"requests":N,"by_status":{"200":N,...},
//                                             "resets":N,"accepted_events":N}
//   GET  /_emulator/events                   the record, as JSON lines
//   POST /_emulator/api_key                  body = the new key (simulates fixing a key)
//   POST /_emulator/script                   body = a fault script (fault_script.h)
//
// Request handling, in order: route; count the request (destination endpoints
// only); consult the fault script (so it acts like a faulty gateway in front of
// the service, before the key check); then the key check (401), the size check
// (413 above max_body_bytes), JSON parsing and schema validation (400), and
// recording (200 {"accepted":N}; Spideo: 204). A request is recorded whole or
// not at all.
//
// Secrets: the API key is never logged and never appears in a response; a 401
// body says only that the key is missing or wrong.
//
// Threads: cpp-httplib serves each connection on a worker of its pool
// (`worker_threads`); every accessor below is safe to call from any thread.
// `delay_ms` waits are interrupted by stop(), so a hanging-endpoint script
// never holds up shutdown. start() ignores SIGPIPE process-wide: a reset
// connection makes httplib write to a dead socket.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cdp_relay/clock.h"
#include "emulator/event_recorder.h"
#include "emulator/fault_script.h"
#include "emulator/vidora_validator.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace cdp_relay::emulator {

struct EmulatorOptions {
  // Address to bind. Default loopback only: the admin endpoints are
  // unauthenticated, so bind elsewhere only on a private network.
  std::string host = "127.0.0.1";
  // Port to bind; 0 picks a free port (read it back with Emulator::port()).
  int port = 0;
  // The key both endpoints expect. REQUIRES: non-empty for requests to pass.
  std::string api_key;
  // The key Spideo requests expect; empty = the same as api_key.
  std::string spideo_api_key;
  // Path of the Vidora endpoint (the relay's default).
  std::string vidora_path = "/v1/events";
  // Path prefix of the Spideo API ("{prefix}/users/..."); the relay's default
  // url_template puts "/api" after the client's host.
  std::string spideo_prefix = "/api";
  // Optional JSONL file that accepted events are appended to, one per line.
  std::string record_file;
  // Directory holding vidora-request.schema.json and vidora-event.schema.json.
  // REQUIRES: non-empty when validate is true.
  std::string schema_dir;
  // Validate Vidora bodies against the schemas. Off only for benchmarks.
  bool validate = true;
  // Keep recorded events in memory for recorded_events(). Off for long runs.
  bool keep_in_memory = true;
  // Vidora's max_bytes (README "Vidora wire format: assumptions"): larger
  // bodies get 413. 0 = no limit.
  size_t max_body_bytes = 512 * 1024;
  // Worker threads: bounds how many requests can hang in a delay at once.
  int worker_threads = 64;
  // Serve HTTPS with this PEM certificate chain and key instead of plain
  // HTTP (tests of the relay's TLS settings). Default empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // With TLS: require a client certificate issued by this PEM CA (mutual
  // TLS). Default empty: no client certificate asked for.
  std::string tls_client_ca_file;
  // The fault script in force from start().
  FaultScript script;
  // Time source for the script's from_s/until_s window; nullptr = system
  // clock. Not owned; must outlive the Emulator.
  const Clock* clock = nullptr;
};

struct RequestStats {
  uint64_t requests = 0;             // every request except /healthz and /_emulator/*
  std::map<int, uint64_t> by_status; // status code -> count (resets not included)
  uint64_t resets = 0;               // connections closed by a `reset` rule
};

class Emulator {
 public:
  explicit Emulator(EmulatorOptions options);
  ~Emulator();  // stops the server
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Loads the schemas, opens the record file, binds and starts serving on a
  // thread of its own. Returns once the server accepts connections; false
  // (with error()) if anything fails. REQUIRES: called at most once.
  bool start();
  // Stops serving and joins every thread. Idempotent.
  void stop();

  int port() const { return port_; }
  const std::string& host() const { return options_.host; }
  // Why start() failed.
  const std::string& error() const { return error_; }

  size_t accepted_events() const { return recorder_.count(); }
  // Each accepted Vidora event as compact JSON; Spideo requests as
  // {"spideo":{...}}. Empty when keep_in_memory is false.
  std::vector<std::string> recorded_events() const { return recorder_.lines(); }
  RequestStats stats() const;

  void set_api_key(std::string api_key);
  // Installs a new script; its request counter and time window restart now.
  void set_script(FaultScript script);

 private:
  enum class Endpoint { kVidora, kSpideoInteraction, kSpideoProperty };
  struct SpideoTarget;
  struct Reply;

  void route(const httplib::Request& req, httplib::Response& res);
  void handle_admin(const httplib::Request& req, httplib::Response& res);
  void handle_destination(Endpoint endpoint, const SpideoTarget* spideo,
                          const httplib::Request& req, httplib::Response& res);
  Reply handle_vidora(const httplib::Request& req, const nlohmann::json* body);
  Reply handle_spideo(const SpideoTarget& target, const httplib::Request& req);
  // Waits for `delay`, or less if stop() is called.
  void wait(std::chrono::milliseconds delay);
  void count_response(int status);

  EmulatorOptions options_;
  const Clock* clock_;
  SystemClock system_clock_;
  std::unique_ptr<VidoraValidator> validator_;
  EventRecorder recorder_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  int port_ = 0;
  std::string error_;

  mutable std::mutex mu_;
  std::string api_key_;                 // guarded by mu_
  std::string spideo_api_key_;          // guarded by mu_
  FaultScript script_;                  // guarded by mu_
  SystemRandom random_{0};              // guarded by mu_; seeded from script_.seed
  uint64_t script_requests_ = 0;        // guarded by mu_
  Clock::time_point script_start_;      // guarded by mu_
  RequestStats stats_;                  // guarded by mu_
  bool stopping_ = false;               // guarded by mu_
  std::condition_variable stop_cv_;     // signalled when stopping_ turns true
};

}  // namespace cdp_relay::emulator
