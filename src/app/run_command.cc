#include "app/run_command.h"

#include <csignal>
#include <unistd.h>

#include <atomic>
#include <string>

#include "app/wiring.h"
#include "obs/log.h"

namespace cdp_relay::app {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signals{0};

void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(1);  // second signal: exit at once
  g_stop.store(true);
}

}  // namespace

const std::atomic<bool>& install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return g_stop;
}

int run_relay(const RelayConfig& config) {
  const std::atomic<bool>& stop = install_stop_signals();
  obs::set_min_log_level(config.log_level);
  SystemClock clock;
  SystemRandom random;
  try {
    if (config.vidora.enabled && !config.vidora.tls.verify) {
      obs::log(obs::LogLevel::kWarn, "TLS certificate verification is OFF for vidora",
               {{"key", "destinations.vidora.tls.verify"}});
    }
    if (config.spideo.enabled && !config.spideo.tls.verify) {
      obs::log(obs::LogLevel::kWarn, "TLS certificate verification is OFF for spideo",
               {{"key", "destinations.spideo.tls.verify"}});
    }
    Relay relay(config, clock, random);
    obs::log(obs::LogLevel::kInfo, "relay started",
             {{"group_id", config.kafka.group_id},
              {"brokers", config.kafka.brokers},
              {"admin_port", std::to_string(relay.admin_port())}});
    const bool drained = relay.run(stop);
    const auto& counters = relay.loop().counters();
    obs::log(drained ? obs::LogLevel::kInfo : obs::LogLevel::kWarn, "relay stopped",
             {{"drained", drained ? "true" : "false"},
              {"consumed", std::to_string(counters.messages_consumed.load())},
              {"delivered", std::to_string(counters.events_delivered.load())},
              {"dead_lettered", std::to_string(counters.events_dead_lettered.load())}});
    return 0;
  } catch (const std::exception& error) {
    obs::log(obs::LogLevel::kError, "relay failed", {{"error", error.what()}});
    return 1;
  }
}

}  // namespace cdp_relay::app
