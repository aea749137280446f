// kafka.* and sources[*]: where events are consumed from (docs/config.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "decode/decode_config.h"
#include "source/start_position.h"
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
  // Back-fill (`cdp-relay run --from-timestamp T`, not a YAML key): a
  // partition the group has no committed offset for starts at the first
  // offset whose timestamp is >= this (epoch ms), or at its end when no
  // message is that recent (source/start_position.h).
  std::optional<int64_t> start_from_timestamp_ms;
  // How that offset is found: the broker's time index unless a test
  // substitutes a lookup.
  OffsetsForTimes offsets_for_times = broker_offsets_for_times;

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
