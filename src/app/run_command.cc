#include "app/run_command.h"

#include <csignal>
#include <unistd.h>

#include <atomic>
#include <string>

#include "app/wiring.h"
#include "obs/log.h"
#include "replay/record_selector.h"

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

std::optional<std::string> apply_backfill_flags(const BackfillFlags& flags, RelayConfig& config,
                                                int64_t now_ms) {
  if (flags.from_timestamp.empty()) return std::nullopt;
  const std::string quoted = "--from-timestamp \"" + flags.from_timestamp + "\"";
  // The same two forms `replay --since` takes.
  const std::optional<int64_t> from_ms = replay::parse_kafka_timestamp(flags.from_timestamp);
  if (!from_ms) {
    return quoted + ": expected ms since the epoch (1732096800000) or an RFC 3339 date-time "
                    "(2024-11-20T10:00:00Z)";
  }
  if (*from_ms < kEarliestBackfillMs) {
    return quoted + ": before 2000-01-01; the epoch form is in milliseconds, not seconds";
  }
  if (*from_ms > now_ms) return quoted + ": in the future, nothing to back-fill";
  const std::string group = flags.group.empty()
                                ? config.kafka.group_id + "-backfill-" + std::to_string(*from_ms)
                                : flags.group;
  if (group == config.kafka.group_id && !flags.allow_live_group) {
    // Its committed offsets would win over T anyway, and whatever it has not
    // started yet would start at T: an operator must mean that.
    return "--group \"" + group +
           "\" is the live group (kafka.group_id); a back-fill needs its own group. "
           "Give another --group, or --allow-live-group to start that group's uncommitted "
           "partitions at T";
  }
  config.kafka.group_id = group;
  config.kafka.start_from_timestamp_ms = *from_ms;
  return std::nullopt;
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
    const auto& from_ms = config.kafka.start_from_timestamp_ms;
    obs::log(obs::LogLevel::kInfo, from_ms ? "relay started (back-fill)" : "relay started",
             {{"group_id", config.kafka.group_id},
              {"brokers", config.kafka.brokers},
              {"from_timestamp_ms", from_ms ? std::to_string(*from_ms) : "none"},
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
