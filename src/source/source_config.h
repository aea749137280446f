// kafka.* and sources[*]: where events are consumed from (DESIGN.md §6).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "decode/decode_config.h"
#include "util/config_errors.h"

namespace cdp_relay::source {

struct KafkaSettings {
  // bootstrap.servers. Default "localhost:9092".
  std::string brokers = "localhost:9092";
  // The consumer group. Default "cdp-relay".
  std::string group_id = "cdp-relay";
  // librdkafka properties passed through verbatim (SASL, SSL, timeouts...).
  // They are the one untyped map: librdkafka validates them at startup.
  std::map<std::string, std::string> consumer;
  std::map<std::string, std::string> producer;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    errors.check(!brokers.empty(), path + ".brokers", "must not be empty");
    errors.check(!group_id.empty(), path + ".group_id", "must not be empty");
  }
};

// One entry of `sources`.
struct SourceTopic {
  std::string topic;
  decode::InputFormat format = decode::InputFormat::kAuto;

  void validate(const std::string& path, util::ConfigErrors& errors) const {
    errors.check(!topic.empty(), path + ".topic", "must not be empty");
  }
};

}  // namespace cdp_relay::source
