#include "kafka_sinks/dead_letter.h"

#include "app/version.h"

namespace cdp_relay::kafka_sinks {

std::string trim_utf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to a sequence start.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

Headers dead_letter_headers(const DeadLetter& letter) {
  Headers headers;
  headers.reserve(12);
  headers.emplace_back("cdp.error.stage", std::string(to_string(letter.error.stage)));
  headers.emplace_back("cdp.error.reason", std::string(to_string(letter.error.reason)));
  headers.emplace_back("cdp.error.message", trim_utf8(letter.error.message, kMaxErrorMessageBytes));
  if (!letter.destination.empty()) headers.emplace_back("cdp.error.destination", letter.destination);
  if (letter.error.http_status) {
    headers.emplace_back("cdp.error.http_status", std::to_string(*letter.error.http_status));
  }
  if (letter.error.attempts > 0) {
    headers.emplace_back("cdp.error.attempts", std::to_string(letter.error.attempts));
  }
  if (letter.first_attempt_ms >= 0) {
    headers.emplace_back("cdp.error.first_attempt_ms", std::to_string(letter.first_attempt_ms));
  }
  if (letter.last_attempt_ms >= 0) {
    headers.emplace_back("cdp.error.last_attempt_ms", std::to_string(letter.last_attempt_ms));
  }
  headers.emplace_back("cdp.source.topic", letter.source_topic);
  headers.emplace_back("cdp.source.partition", std::to_string(letter.source_partition));
  headers.emplace_back("cdp.source.offset", std::to_string(letter.source_offset));
  headers.emplace_back("cdp.relay.version", kVersion);
  return headers;
}

}  // namespace cdp_relay::kafka_sinks
