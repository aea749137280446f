// admin: the HTTP port serving /metrics, /healthz and /readyz (README
// "Operations: admin server, metrics, logs").
#pragma once

#include <cstdint>
#include <string>

#include "util/config_errors.h"

namespace cdp_relay::obs {

struct AdminSettings {
  // host:port to listen on. Default "0.0.0.0:9464"; port 0 picks a free port.
  std::string listen = "0.0.0.0:9464";
  // /readyz turns 503 once a destination's circuit breaker has been open
  // (or half-open) this long. Default 60. Range 1-86400.
  int64_t max_circuit_open_s = 60;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    const auto colon = listen.rfind(':');
    bool ok = colon != std::string::npos && colon + 1 < listen.size();
    if (ok) {
      const std::string port = listen.substr(colon + 1);
      ok = port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
           std::stoi(port) <= 65535;
    }
    errors.check(ok, path + ".listen", "must be host:port with a port in 0-65535");
    errors.check(max_circuit_open_s >= 1 && max_circuit_open_s <= 86400,
                 path + ".max_circuit_open_s", "must be between 1 and 86400");
  }
};

}  // namespace cdp_relay::obs
