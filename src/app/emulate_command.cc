#include "app/emulate_command.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>

#include "emulator/emulator.h"
#include "emulator/schema_locator.h"

namespace cdp_relay::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

// Splits "HOST:PORT" or "[V6]:PORT". Returns false on anything else.
bool parse_listen(const std::string& listen, std::string& host, int& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = listen.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5) {
    return false;
  }
  port = std::stoi(port_text);
  return port <= 65535 && !host.empty();
}

}  // namespace

EmulateCommand::EmulateCommand(CLI::App& app) {
  command_ = app.add_subcommand(
      "emulate", "Run the Vidora/Spideo HTTP emulator (tests, demo, docker-compose)");
  command_->add_option("--listen", options_.listen, "HOST:PORT to listen on (port 0 = any free)")
      ->default_val("127.0.0.1:8080");
  command_->add_option("--api-key", options_.api_key, "API key the endpoints accept")
      ->envname("CDP_RELAY_EMULATOR_API_KEY")
      ->required();
  command_->add_option("--spideo-api-key", options_.spideo_api_key,
                       "API key for the Spideo endpoints (default: --api-key)")
      ->envname("CDP_RELAY_EMULATOR_SPIDEO_API_KEY");
  command_->add_option("--record", options_.record_file,
                       "Append every accepted event to this JSONL file");
  command_->add_option("--script", options_.script_file, "Fault script (JSON, docs/emulator.md)");
  command_->add_option("--schemas", options_.schema_dir,
                       "Directory with vidora-*.schema.json (default: found next to the binary, "
                       "./schemas or /usr/share/cdp-relay/schemas)");
  command_->add_flag("--no-validate", options_.no_validate,
                     "Accept any {\"data\":[...]} body without schema validation (benchmarks)");
}

int EmulateCommand::run() {
  emulator::EmulatorOptions options;
  if (!parse_listen(options_.listen, options.host, options.port)) {
    std::fprintf(stderr, "cdp-relay emulate: --listen must be HOST:PORT, got \"%s\"\n",
                 options_.listen.c_str());
    return kExitUsage;
  }
  options.api_key = options_.api_key;
  options.spideo_api_key = options_.spideo_api_key;
  options.record_file = options_.record_file;
  options.validate = !options_.no_validate;
  // A long-running process: the record file is the record, memory is not.
  options.keep_in_memory = false;
  if (options.validate) {
    options.schema_dir =
        options_.schema_dir.empty() ? emulator::find_schema_dir() : options_.schema_dir;
    if (options.schema_dir.empty()) {
      std::fprintf(stderr, "cdp-relay emulate: no schemas directory found; tried:");
      for (const auto& dir : emulator::schema_dir_candidates()) {
        std::fprintf(stderr, " %s", dir.c_str());
      }
      std::fprintf(stderr, "; pass --schemas DIR\n");
      return kExitUsage;
    }
  }
  if (!options_.script_file.empty()) {
    std::string error;
    auto script = emulator::FaultScript::load_file(options_.script_file, error);
    if (!script) {
      std::fprintf(stderr, "cdp-relay emulate: %s\n", error.c_str());
      return kExitUsage;
    }
    options.script = std::move(*script);
  }

  // Block the stop signals before any thread exists, so every server thread
  // inherits the mask and sigwait() below is the only place they arrive.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  emulator::Emulator server(std::move(options));
  if (!server.start()) {
    const bool config_error = server.port() == 0 && server.error().rfind("cannot listen", 0) != 0;
    std::fprintf(stderr, "cdp-relay emulate: %s\n", server.error().c_str());
    return config_error ? kExitUsage : kExitRuntime;
  }
  const std::string& host = server.host();
  const bool v6 = host.find(':') != std::string::npos;
  std::printf("emulator listening on http://%s%s%s:%d\n", v6 ? "[" : "", host.c_str(),
              v6 ? "]" : "", server.port());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  std::fprintf(stderr, "cdp-relay emulate: stopped (%s); %zu event(s) accepted\n",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM", server.accepted_events());
  return kExitOk;
}

}  // namespace cdp_relay::app
