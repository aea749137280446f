#include "app/replay_command.h"

#include <cstdio>

#include "app/config_loader.h"
#include "app/run_command.h"
#include "app/wiring.h"
#include "obs/log.h"
#include "replay/replay_job.h"

namespace cdp_relay::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "cdp-relay replay: %s\n", message.c_str());
  return kExitUsage;
}

}  // namespace

ReplayCommand::ReplayCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "replay",
      "Re-produce dead letters (original key and value, cdp.replay.count header) into a topic, "
      "from the replay group's committed offsets up to the end seen at start; commits and exits");
  command_->add_option("--to", options_.to_topic, "Topic to produce into (e.g. the source topic)")
      ->required();
  command_->add_option("--from", options_.from_topic,
                       "Dead-letter topic to read (default: the config's dead_letter.topic)");
  command_->add_option("-c,--config", options_.config_file,
                       "Relay config: its kafka section (brokers, consumer/producer pass-through "
                       "keys such as SASL/SSL) is used");
  command_->add_option("--brokers", options_.brokers,
                       "bootstrap.servers (overrides the config's kafka.brokers)");
  command_->add_option("--group", options_.group,
                       "Consumer group whose committed offsets make a rerun skip what was done")
      ->default_val(replay::kDefaultReplayGroup);
  command_->add_option("--filter", options_.filters,
                       "HEADER=VALUE, repeatable: different headers AND, same header OR; reason, "
                       "stage, destination, http_status... mean cdp.error.NAME; VALUE* matches a "
                       "prefix")
      ->allow_extra_args(false);
  command_->add_option("--since", options_.since,
                       "Skip records with a Kafka timestamp before TIME (ms since the epoch, or "
                       "RFC 3339)");
  command_->add_option("--until", options_.until,
                       "Stop each partition at its first record after TIME (ms or RFC 3339); the "
                       "rest stays for a later run");
  command_->add_option("--rate", options_.rate_per_s, "At most N records per second (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0);
  command_->add_option("--max-events", options_.max_events,
                       "Stop after N selected records (0 = no limit); a rerun continues")
      ->default_val(0);
  command_->add_flag("--dry-run", options_.dry_run,
                     "Read and select only: print what would be replayed; produce and commit "
                     "nothing");
  command_->add_option("--timeout", options_.timeout_s,
                       "Seconds to wait for brokers, offsets and acknowledgements before failing")
      ->check(CLI::Range(0.1, 3600.0))
      ->default_val(30);
}

int ReplayCommand::run() {
  RelayConfig config;
  if (!options_.config_file.empty()) {
    LoadedConfig loaded = load_config_file(options_.config_file, process_environment());
    if (!loaded.errors.empty()) {
      // Paths and messages only: ConfigError never carries a secret value.
      for (const auto& error : loaded.errors.all()) {
        std::fprintf(stderr, "%s: %s: %s\n", options_.config_file.c_str(), error.path.c_str(),
                     error.message.c_str());
      }
      return kExitUsage;
    }
    config = std::move(loaded.config);
  } else if (options_.brokers.empty()) {
    return usage_error("give --brokers or -c config.yaml");
  }
  if (!options_.brokers.empty()) config.kafka.brokers = options_.brokers;
  obs::set_min_log_level(config.log_level);

  replay::ReplayOptions options;
  options.from_topic =
      options_.from_topic.empty() ? config.dead_letter.topic : options_.from_topic;
  options.to_topic = options_.to_topic;
  options.group = options_.group;
  if (options.from_topic.empty()) return usage_error("give --from (or -c with dead_letter.topic)");
  if (options.from_topic == options.to_topic) {
    return usage_error("--from and --to are the same topic \"" + options.to_topic + "\"");
  }
  if (options.group.empty()) return usage_error("--group must not be empty");
  if (options.group == config.kafka.group_id) {
    // The relay's group commits offsets of the source topics; sharing it
    // would mix two meanings of "done".
    return usage_error("--group must differ from the relay's kafka.group_id");
  }

  replay::HeaderFilter filter;
  for (const auto& argument : options_.filters) {
    if (auto error = filter.add(argument)) return usage_error(*error);
  }
  replay::TimeWindow window;
  if (!options_.since.empty()) {
    window.since_ms = replay::parse_kafka_timestamp(options_.since);
    if (!window.since_ms) {
      return usage_error("--since \"" + options_.since +
                         "\": expected ms since the epoch or an RFC 3339 date-time");
    }
  }
  if (!options_.until.empty()) {
    window.until_ms = replay::parse_kafka_timestamp(options_.until);
    if (!window.until_ms) {
      return usage_error("--until \"" + options_.until +
                         "\": expected ms since the epoch or an RFC 3339 date-time");
    }
  }
  if (window.since_ms && window.until_ms && *window.since_ms > *window.until_ms) {
    return usage_error("--since is after --until");
  }
  options.selector = replay::RecordSelector(std::move(filter), window);
  options.rate_per_s = options_.rate_per_s;
  options.max_events = options_.max_events;
  options.dry_run = options_.dry_run;
  options.timeout = std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_s * 1000));

  replay::KafkaClientProperties properties;
  properties.consumer = config.kafka.consumer;
  properties.consumer["bootstrap.servers"] = config.kafka.brokers;
  properties.producer = producer_properties(config);

  const std::atomic<bool>& stop = install_stop_signals();
  SystemClock clock;
  replay::ReplayJob job(std::move(properties), std::move(options), clock);
  const replay::ReplayReport report = job.run(stop);
  std::printf("%s\n", replay::summary_line(report).c_str());
  std::fflush(stdout);
  switch (report.outcome) {
    case replay::Outcome::kCompleted:
      return kExitOk;
    case replay::Outcome::kInterrupted:
      std::fprintf(stderr, "cdp-relay replay: interrupted; acknowledged records are committed\n");
      return kExitRuntime;
    case replay::Outcome::kFailed:
      std::fprintf(stderr, "cdp-relay replay: %s\n", report.error.c_str());
      return kExitRuntime;
  }
  return kExitRuntime;
}

}  // namespace cdp_relay::app
