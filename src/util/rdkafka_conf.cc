#include "util/rdkafka_conf.h"

#include <array>
#include <stdexcept>
#include <string_view>

namespace cdp_relay::util {

void set_kafka_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                        const std::string& context) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(context + ": " + errstr);
  }
}

bool is_sensitive_kafka_property(const std::string& key) {
  // librdkafka marks these _RK_SENSITIVE; matching on the name also covers
  // properties a newer librdkafka adds with the same naming.
  static constexpr std::array<std::string_view, 5> kMarkers = {
      "password", "secret", "ssl.key.pem", "sasl.oauthbearer.config", "ssl_key"};
  for (const auto marker : kMarkers) {
    if (key.find(marker) != std::string::npos) return true;
  }
  return false;
}

std::map<std::string, std::string> effective_kafka_properties(rd_kafka_t* handle) {
  std::map<std::string, std::string> properties;
  size_t count = 0;
  // rd_kafka_conf() is the handle's own copy: what it runs with.
  const char** pairs = rd_kafka_conf_dump(const_cast<rd_kafka_conf_t*>(rd_kafka_conf(handle)),
                                          &count);
  for (size_t i = 0; i + 1 < count; i += 2) {
    const std::string key = pairs[i];
    properties[key] = is_sensitive_kafka_property(key) ? "[hidden]" : pairs[i + 1];
  }
  rd_kafka_conf_dump_free(pairs, count);
  return properties;
}

}  // namespace cdp_relay::util
