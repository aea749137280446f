// The dead-letter record's headers, name by name and value by value, as
// README "Dead-letter topic" documents them.
#include "kafka_sinks/dead_letter.h"

#include <gtest/gtest.h>

#include <string>

#include "cdp_relay/version.h"

namespace cdp_relay::kafka_sinks {
namespace {

DeadLetter delivery_failure() {
  DeadLetter letter;
  letter.value = R"({"type":"track"})";
  letter.key = "user-1";
  letter.error.stage = Stage::kDeliver;
  letter.error.reason = Reason::kRetriesExhausted;
  letter.error.message = "gave up after max_retry_duration_s (HTTP 503)";
  letter.error.http_status = 503;
  letter.error.attempts = 4;
  letter.destination = "vidora";
  letter.first_attempt_ms = 1'700'000'000'000;
  letter.last_attempt_ms = 1'700'000'060'000;
  letter.source_topic = "raw-events";
  letter.source_partition = 3;
  letter.source_offset = 42;
  return letter;
}

TEST(DeadLetterHeadersTest, ADeliveryFailureCarriesEveryDocumentedHeader) {
  const Headers expected = {
      {"cdp.error.stage", "deliver"},
      {"cdp.error.reason", "retries_exhausted"},
      {"cdp.error.message", "gave up after max_retry_duration_s (HTTP 503)"},
      {"cdp.error.destination", "vidora"},
      {"cdp.error.http_status", "503"},
      {"cdp.error.attempts", "4"},
      {"cdp.error.first_attempt_ms", "1700000000000"},
      {"cdp.error.last_attempt_ms", "1700000060000"},
      {"cdp.source.topic", "raw-events"},
      {"cdp.source.partition", "3"},
      {"cdp.source.offset", "42"},
      {"cdp.relay.version", kVersion},
  };
  EXPECT_EQ(dead_letter_headers(delivery_failure()), expected);
}

TEST(DeadLetterHeadersTest, ADecodeRejectionHasNoDeliveryHeaders) {
  DeadLetter letter;
  letter.error.stage = Stage::kDecode;
  letter.error.reason = Reason::kInvalidJson;
  letter.error.message = "not JSON";
  letter.source_topic = "raw-events";
  letter.source_partition = 0;
  letter.source_offset = 7;
  const Headers expected = {
      {"cdp.error.stage", "decode"},       {"cdp.error.reason", "invalid_json"},
      {"cdp.error.message", "not JSON"},   {"cdp.source.topic", "raw-events"},
      {"cdp.source.partition", "0"},       {"cdp.source.offset", "7"},
      {"cdp.relay.version", kVersion},
  };
  EXPECT_EQ(dead_letter_headers(letter), expected);
}

TEST(DeadLetterHeadersTest, ATransportErrorIsHttpStatusZero) {
  DeadLetter letter = delivery_failure();
  letter.error.http_status = 0;
  const Headers headers = dead_letter_headers(letter);
  EXPECT_NE(std::find(headers.begin(), headers.end(),
                      std::pair<std::string, std::string>{"cdp.error.http_status", "0"}),
            headers.end());
}

TEST(DeadLetterHeadersTest, TheMessageIsAtMostOneKibibyteAndNeverSplitsACharacter) {
  DeadLetter letter = delivery_failure();
  letter.error.message = std::string(1023, 'a') + "\xC3\xA9" + std::string(100, 'b');  // é
  const Headers headers = dead_letter_headers(letter);
  const auto message = std::find_if(headers.begin(), headers.end(),
                                    [](const auto& h) { return h.first == "cdp.error.message"; });
  ASSERT_NE(message, headers.end());
  EXPECT_EQ(message->second, std::string(1023, 'a')) << "split the two bytes of é, or kept > 1 KiB";
}

}  // namespace
}  // namespace cdp_relay::kafka_sinks
