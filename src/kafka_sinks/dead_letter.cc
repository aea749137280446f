#include "kafka_sinks/dead_letter.h"

#include "cdp_relay/version.h"
#include "util/utf8.h"

namespace cdp_relay::kafka_sinks {

Headers dead_letter_headers(const DeadLetter& letter) {
  Headers headers;
  headers.reserve(12);
  headers.emplace_back("cdp.error.stage", std::string(to_string(letter.error.stage)));
  headers.emplace_back("cdp.error.reason", std::string(to_string(letter.error.reason)));
  headers.emplace_back("cdp.error.message", util::trim_utf8(letter.error.message, kMaxErrorMessageBytes));
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
