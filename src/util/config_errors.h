// Config validation errors, each with the YAML path it concerns, so that
// `check-config` can report every problem at once
// (e.g. "destinations.vidora.batch.max_events: must be > 0").
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cdp_relay::util {

struct ConfigError {
  std::string path;
  std::string message;  // REQUIRES: never contains a configured value of a secret
};

class ConfigErrors {
 public:
  void add(std::string path, std::string message) {
    errors_.push_back(ConfigError{std::move(path), std::move(message)});
  }
  // Adds `message` at `path` unless `ok`.
  void check(bool ok, const std::string& path, const char* message) {
    if (!ok) add(path, message);
  }
  bool empty() const { return errors_.empty(); }
  const std::vector<ConfigError>& all() const { return errors_; }

 private:
  std::vector<ConfigError> errors_;
};

}  // namespace cdp_relay::util
