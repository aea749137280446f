// Helpers for tests of app/config_loader: a fake environment, and the load
// errors as text or at one YAML path.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "app/config_loader.h"

namespace cdp_relay::testing {

// An ${ENV} lookup that knows exactly `vars`.
inline app::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Every error, one "path: message" per line.
inline std::string all_errors(const app::LoadedConfig& loaded) {
  std::string text;
  for (const auto& e : loaded.errors.all()) text += e.path + ": " + e.message + "\n";
  return text;
}

// The message at `path`, or "" when there is no error at exactly that path.
inline std::string error_at(const app::LoadedConfig& loaded, const std::string& path) {
  for (const auto& e : loaded.errors.all()) {
    if (e.path == path) return e.message;
  }
  return "";
}

}  // namespace cdp_relay::testing
