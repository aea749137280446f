// librdkafka's own log lines (broker connection failures, ...) as JSON lines
// of obs::log instead of its raw "%3|<ts>|FAIL|rdkafka#producer-1| ..." lines
// on stderr, so that every stderr line is one JSON object.
//
// A line becomes {"level":...,"msg":"librdkafka <FACILITY>","client":...,
// "facility":...,"detail":<librdkafka's text>}. The level follows librdkafka's
// syslog level (0-3 error, 4 warn, 5-6 info, 7 debug); the message key names
// the facility, so obs::log's rate limit applies per facility, like any
// other warning. `client` is the name the relay gave the handle
// (name_kafka_client), or librdkafka's handle name before it has one.
//
// librdkafka calls the callback from its own threads; obs::log is thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>

#include "obs/log.h"

namespace cdp_relay::obs {

// Sets `conf`'s log callback. Call before rd_kafka_new().
void route_kafka_logs(rd_kafka_conf_t* conf);

// Names `handle` in its log lines ("consumer", "dead_letter", ...). Call
// forget_kafka_client() after rd_kafka_destroy(handle).
void name_kafka_client(const rd_kafka_t* handle, std::string_view client);
void forget_kafka_client(const rd_kafka_t* handle);

// The obs::log level of a librdkafka (syslog) level.
LogLevel kafka_log_level(int syslog_level);

}  // namespace cdp_relay::obs
