// A consumed librdkafka message, owned. The pipeline keeps it (rather than a
// copy of its key and value) until every output of the message is resolved:
// the bytes stay in librdkafka's fetch buffer and are never copied on the hot
// path.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string_view>

namespace cdp_relay::source {

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

inline std::string_view payload_of(const rd_kafka_message_t& message) {
  return message.payload == nullptr
             ? std::string_view()
             : std::string_view(static_cast<const char*>(message.payload), message.len);
}

inline std::string_view key_of(const rd_kafka_message_t& message) {
  return message.key == nullptr
             ? std::string_view()
             : std::string_view(static_cast<const char*>(message.key), message.key_len);
}

}  // namespace cdp_relay::source
