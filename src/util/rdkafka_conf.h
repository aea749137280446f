// Small helpers around librdkafka's configuration objects, shared by the
// consumer (source/) and the producers (kafka_sinks/): setting a property with
// an error that never echoes its value, and reading back the configuration a
// live handle actually runs with.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <string>

namespace cdp_relay::util {

// Sets `key` on `conf`. On failure destroys `conf` and throws
// std::runtime_error("<context>: <librdkafka's reason>"): the reason names the
// property, never its value (which may be a SASL password).
void set_kafka_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                        const std::string& context);

// True for properties whose value is a secret (passwords, private keys,
// OAuth configuration): they are shown as "[hidden]", like the Kafka Java
// clients do in their startup configuration dump.
bool is_sensitive_kafka_property(const std::string& key);

// Every property of `handle`'s effective configuration (librdkafka's
// defaults, the pass-through keys, and what cdp-relay enforces), with
// sensitive values hidden.
std::map<std::string, std::string> effective_kafka_properties(rd_kafka_t* handle);

}  // namespace cdp_relay::util
