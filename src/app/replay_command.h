// `cdp-relay replay`: re-produces dead letters into a topic
// (docs/replay.md). The CLI glue only: options, the config's kafka section,
// signals and the summary line; the job itself is replay::ReplayJob.
//
//   cdp-relay replay --to TOPIC [--from DLQ] [-c config.yaml] [--brokers LIST]
//                    [--group NAME] [--filter HEADER=VALUE]... [--since TIME]
//                    [--until TIME] [--rate N] [--max-events N] [--dry-run]
//                    [--timeout SECONDS]
//
// Connection: `-c` reuses the relay config's kafka section (brokers and the
// kafka.consumer / kafka.producer pass-through keys, so SASL and SSL work as
// they do for `run`); --brokers overrides kafka.brokers, or stands alone.
// --from defaults to the config's dead_letter.topic.
//
// Prints one summary line on stdout (replay::summary_line). Exit codes: 0 the
// replay completed, 1 it failed or was interrupted (what was acknowledged is
// committed), 2 usage or config error.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cdp_relay::app {

struct ReplayCommandOptions {
  std::string config_file;
  std::string brokers;
  std::string from_topic;
  std::string to_topic;
  std::string group;
  std::vector<std::string> filters;
  std::string since;
  std::string until;
  double rate_per_s = 0;
  uint64_t max_events = 0;
  bool dry_run = false;
  double timeout_s = 30;
};

class ReplayCommand {
 public:
  // Registers the `replay` subcommand on `app`.
  explicit ReplayCommand(CLI::App& app);

  bool selected() const { return command_->parsed(); }
  // Runs the replay; returns the process exit code.
  int run();

 private:
  CLI::App* command_;
  ReplayCommandOptions options_;
};

}  // namespace cdp_relay::app
