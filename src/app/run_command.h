// `cdp-relay run -c config.yaml`: the whole pipeline until SIGTERM/SIGINT.
#pragma once

#include <atomic>

#include "app/relay_config.h"

namespace cdp_relay::app {

// Returns the process exit code: 0 after a clean drain and commit, 1 on a
// startup or runtime error.
int run_relay(const RelayConfig& config);

// Installs SIGINT/SIGTERM handlers: the first sets the returned flag (drain
// and exit), the second exits the process at once.
const std::atomic<bool>& install_stop_signals();

}  // namespace cdp_relay::app
