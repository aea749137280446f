// cdp-relay's entry point: parses the command line and dispatches.
// Exit codes: 0 success, 1 runtime error, 2 usage or config error.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/config_loader.h"
#include "app/demo_command.h"
#include "app/run_command.h"
#include "app/emulate_command.h"
#include "app/replay_command.h"
#include "app/transform_command.h"
#include "cdp_relay/version.h"

namespace {

using cdp_relay::app::LoadedConfig;

// Exit codes: 0 success, 2 a usage or configuration error; a subcommand's
// runtime failure (1) is returned by the subcommand itself.
constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

// Prints every config error with its path. Messages never carry secret values
// (see util::ConfigError), so they are safe to print.
void print_config_errors(const LoadedConfig& loaded, const std::string& file) {
  for (const auto& error : loaded.errors.all()) {
    std::fprintf(stderr, "%s: %s: %s\n", file.c_str(), error.path.c_str(), error.message.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cdp-relay: Kafka -> Vidora / Spideo event relay"};
  app.set_version_flag("--version", std::string(cdp_relay::kVersion));
  app.require_subcommand(1);

  std::string config_file;

  auto* run = app.add_subcommand("run", "Run the relay: consume, transform, deliver, commit");
  run->add_option("-c,--config", config_file, "YAML config file")->required();
  cdp_relay::app::BackfillFlags backfill;
  auto* from_timestamp = run->add_option(
      "--from-timestamp", backfill.from_timestamp,
      "Back-fill: partitions the group has not committed start at the first offset at or after "
      "TIME (ms since the epoch, or RFC 3339); committed offsets still win");
  run->add_option("--group", backfill.group,
                  "Back-fill consumer group (default <kafka.group_id>-backfill-<TIME in ms>)")
      ->needs(from_timestamp);
  run->add_flag("--allow-live-group", backfill.allow_live_group,
                "Let --group be the live kafka.group_id")
      ->needs(from_timestamp);

  auto* check = app.add_subcommand(
      "check-config", "Validate a config file; print every error with its YAML path");
  check->add_option("-c,--config", config_file, "YAML config file")->required();

  cdp_relay::app::TransformOptions transform_options;
  std::string format_name = "auto";
  auto* transform = app.add_subcommand(
      "transform",
      "Read JSON lines on stdin, print the destination's events on stdout, one per line; "
      "rejections go to stderr as {\"error\":{...}} lines");
  transform->add_option("--destination", transform_options.destination, "Destination to map for")
      ->check(CLI::IsMember({"vidora", "spideo"}))
      ->default_val("vidora");
  transform->add_option("--format", format_name, "Input format: auto, segment or mparticle")
      ->check(CLI::IsMember({"auto", "segment", "mparticle"}))
      ->default_val("auto");
  transform->add_option("-c,--config", config_file,
                        "Optional config file (destination settings such as timestamp_format)");
  transform->add_option("--topic", transform_options.topic, "Origin topic name for message ids")
      ->default_val("stdin");

  cdp_relay::app::DemoOptions demo_options;
  auto* demo = app.add_subcommand(
      "demo",
      "Run the whole pipeline on an embedded mock Kafka cluster and a local Vidora emulator, "
      "with a progress line and a reconciling summary");
  demo->add_option("--events", demo_options.events, "Input events to stream")
      ->default_val(100000)
      ->check(CLI::PositiveNumber);
  demo->add_option("--partitions", demo_options.partitions, "Partitions of the source topic")
      ->default_val(6)
      ->check(CLI::Range(1, 64));
  demo->add_flag("--quiet", demo_options.quiet, "No progress line");
  demo->add_option("--metrics-file", demo_options.metrics_file,
                   "At the end, fetch the admin server's /metrics and write it to this file");
  cdp_relay::app::EmulateCommand emulate(app);
  cdp_relay::app::ReplayCommand replay(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (emulate.selected()) return emulate.run();
  if (replay.selected()) return replay.run();

  if (*check || *run) {
    LoadedConfig loaded = cdp_relay::app::load_config_file(
        config_file, cdp_relay::app::process_environment());
    if (!loaded.errors.empty()) {
      print_config_errors(loaded, config_file);
      return kExitUsage;
    }
    if (*check) {
      std::printf("%s: OK (%zu source topic(s); vidora %s; spideo %s)\n", config_file.c_str(),
                  loaded.config.sources.size(), loaded.config.vidora.enabled ? "on" : "off",
                  loaded.config.spideo.enabled ? "on" : "off");
      return kExitOk;
    }
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    if (auto error = cdp_relay::app::apply_backfill_flags(backfill, loaded.config, now_ms)) {
      std::fprintf(stderr, "cdp-relay run: %s\n", error->c_str());
      return kExitUsage;
    }
    return cdp_relay::app::run_relay(loaded.config);
  }

  if (*transform) {
    cdp_relay::app::RelayConfig config;
    if (!config_file.empty()) {
      LoadedConfig loaded = cdp_relay::app::load_config_file(
          config_file, cdp_relay::app::process_environment());
      // Only destination settings matter here, but a config that `run`
      // would reject is rejected here too: one notion of a valid file.
      if (!loaded.errors.empty()) {
        print_config_errors(loaded, config_file);
        return kExitUsage;
      }
      config = loaded.config;
    }
    transform_options.format = *cdp_relay::decode::input_format_from(format_name);
    std::ios::sync_with_stdio(false);
    cdp_relay::app::run_transform(config, transform_options, std::cin, stdout, stderr);
    return kExitOk;
  }

  if (*demo) return cdp_relay::app::run_demo(demo_options);
  return kExitUsage;
}
