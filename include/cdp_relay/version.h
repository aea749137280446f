#pragma once

namespace cdp_relay {
// Reported by `cdp-relay --version`, the build_info metric and the DLQ header
// cdp.relay.version. Set by CMake from project(VERSION).
#ifndef CDP_RELAY_VERSION
#define CDP_RELAY_VERSION "0.0.0-dev"
#endif
inline constexpr const char* kVersion = CDP_RELAY_VERSION;
}  // namespace cdp_relay
