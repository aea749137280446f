// UTF-8 helpers for text that leaves the relay with a length limit (a
// dead letter's cdp.error.message, a response body quoted in one).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cdp_relay::util {

// Trims `text` to at most `max_bytes` without splitting a UTF-8 sequence.
std::string trim_utf8(std::string_view text, size_t max_bytes);

}  // namespace cdp_relay::util
