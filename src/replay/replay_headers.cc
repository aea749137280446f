#include "replay/replay_headers.h"

#include <charconv>
#include <limits>

namespace cdp_relay::replay {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Headers the replay replaces or that describe the dead letter itself.
bool dropped(std::string_view name) {
  return starts_with(name, "cdp.error.") || starts_with(name, "cdp.source.") ||
         name == "cdp.relay.version" || name == kReplayCountHeader || name == kReplayFromHeader;
}

}  // namespace

int64_t replay_count(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (name != kReplayCountHeader) continue;
    int64_t count = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
    if (error != std::errc() || end != value.data() + value.size() || count < 0) return 0;
    return count;
  }
  return 0;
}

Headers replay_headers(const Headers& dead_letter, const RecordPosition& from) {
  Headers headers;
  headers.reserve(dead_letter.size() + 2);
  for (const auto& header : dead_letter) {
    if (!dropped(header.first)) headers.push_back(header);
  }
  const int64_t count = replay_count(dead_letter);
  const int64_t next = count < std::numeric_limits<int64_t>::max() ? count + 1 : count;
  headers.emplace_back(kReplayCountHeader, std::to_string(next));
  headers.emplace_back(kReplayFromHeader, from.topic + "/" + std::to_string(from.partition) + "/" +
                                              std::to_string(from.offset));
  return headers;
}

std::string header_value(const Headers& headers, std::string_view name,
                         std::string_view fallback) {
  for (const auto& [header, value] : headers) {
    if (header == name) return value;
  }
  return std::string(fallback);
}

}  // namespace cdp_relay::replay
