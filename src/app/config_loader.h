// Reads the YAML config into RelayConfig: `${ENV}` substitution, defaults,
// unknown-key rejection, and every error reported with its YAML path.
// The only file in the project that knows YAML.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "app/relay_config.h"
#include "util/config_errors.h"

namespace cdp_relay::app {

// Looks an environment variable up; injected so tests need no real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment.
EnvLookup process_environment();

struct LoadedConfig {
  RelayConfig config;
  util::ConfigErrors errors;  // syntax, type, unknown-key and validation errors
};

// `${NAME}` is replaced by the variable's value and `${NAME:-fallback}` by the
// fallback when NAME is unset or empty; `$${` is a literal `${`. Substitution
// happens inside scalar values after YAML parsing, so a value can never inject
// YAML structure.
LoadedConfig load_config_text(std::string_view yaml, const EnvLookup& env);
LoadedConfig load_config_file(const std::string& file, const EnvLookup& env);

}  // namespace cdp_relay::app
