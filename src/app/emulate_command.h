// `cdp-relay emulate`: runs the Vidora/Spideo emulator (src/emulator) as its
// own process, for the demo, docker-compose and tests (docs/emulator.md).
//
//   cdp-relay emulate --listen 127.0.0.1:8080 --api-key KEY
//                     [--record FILE] [--script FILE] [--schemas DIR]
//
// Prints exactly one line on stdout, "emulator listening on http://HOST:PORT"
// (the real port when --listen asks for port 0), flushed, then serves until
// SIGINT or SIGTERM and exits 0. Errors go to stderr: exit 2 for bad options,
// a bad script or missing schemas, 1 when the port cannot be bound.
// The API key can come from $CDP_RELAY_EMULATOR_API_KEY instead of the
// command line, which keeps it out of `ps`; it is never printed.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace cdp_relay::app {

struct EmulateOptions {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT, or [IPv6]:PORT; port 0 = any free port
  std::string api_key;                    // required (flag or environment)
  std::string spideo_api_key;             // optional; default = api_key
  std::string record_file;                // optional JSONL record
  std::string script_file;                // optional fault script (docs/emulator.md)
  std::string schema_dir;                 // default: emulator::find_schema_dir()
  bool no_validate = false;               // skip schema validation (benchmarks)
};

class EmulateCommand {
 public:
  // Registers the `emulate` subcommand on `app`.
  explicit EmulateCommand(CLI::App& app);

  // True when the parsed command line chose `emulate`.
  bool selected() const { return command_->parsed(); }
  // Runs the emulator until SIGINT/SIGTERM; returns the process exit code.
  int run();

 private:
  CLI::App* command_;
  EmulateOptions options_;
};

}  // namespace cdp_relay::app
