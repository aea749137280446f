#include "obs/admin_server.h"

#include <httplib.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "obs/log.h"

namespace cdp_relay::obs {
namespace {

constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kJson = "application/json";

}  // namespace

AdminServer::AdminServer(const AdminSettings& settings, Metrics& metrics, const HealthState& health)
    : settings_(settings), metrics_(metrics), health_(health) {}

AdminServer::~AdminServer() { stop(); }

void AdminServer::start() {
  server_ = std::make_unique<httplib::Server>();
  // Scrapes and probes are rare: two handler threads are plenty, and keep
  // the relay from spawning one per core on a shared machine.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  // cpp-httplib sets SO_REUSEPORT by default, which would let a second relay
  // on this host bind the same admin port and silently share its scrapes.
  // SO_REUSEADDR alone allows a quick restart and refuses a live listener.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  const std::chrono::milliseconds max_open(settings_.max_circuit_open_s * 1000);

  server_->Get("/metrics", [this, max_open](const httplib::Request&, httplib::Response& res) {
    metrics_.ready().Set(evaluate_readiness(health_, max_open).ok ? 1 : 0);
    res.set_content(metrics_.exposition(), kMetricsContentType);
  });
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const ProbeResult result =
        evaluate_liveness(health_, std::chrono::steady_clock::now(), kMaxLoopStall);
    res.status = result.ok ? 200 : 503;
    res.set_content(result.body, kJson);
  });
  server_->Get("/readyz", [this, max_open](const httplib::Request&, httplib::Response& res) {
    const ProbeResult result = evaluate_readiness(health_, max_open);
    metrics_.ready().Set(result.ok ? 1 : 0);
    res.status = result.ok ? 200 : 503;
    res.set_content(result.body, kJson);
  });

  const auto colon = settings_.listen.rfind(':');
  const std::string host = settings_.listen.substr(0, colon);
  const int wanted = std::stoi(settings_.listen.substr(colon + 1));
  if (wanted == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, wanted) ? wanted : -1;
  }
  if (port_ <= 0) {
    server_.reset();
    throw std::runtime_error("admin: cannot listen on " + settings_.listen);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs: wait for it,
  // or a stop() right after start() would leave the thread listening forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log(LogLevel::kInfo, "admin server listening",
      {{"host", host}, {"port", std::to_string(port_)}});
}

void AdminServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace cdp_relay::obs
