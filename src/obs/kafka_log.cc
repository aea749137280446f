#include "obs/kafka_log.h"

#include <mutex>
#include <string>
#include <unordered_map>

namespace cdp_relay::obs {
namespace {

struct ClientNames {
  std::mutex mu;
  std::unordered_map<const rd_kafka_t*, std::string> names;  // guarded by mu
};

ClientNames& client_names() {
  static ClientNames* names = new ClientNames();  // never destroyed: logs run during exit
  return *names;
}

void on_kafka_log(const rd_kafka_t* handle, int level, const char* facility, const char* text) {
  const LogLevel mapped = kafka_log_level(level);
  std::string client;
  {
    ClientNames& names = client_names();
    std::lock_guard<std::mutex> lock(names.mu);
    auto it = names.names.find(handle);
    client = it != names.names.end() ? it->second : std::string(rd_kafka_name(handle));
  }
  const std::string key = std::string("librdkafka ") + facility;
  log(mapped, key, {{"client", client}, {"facility", facility}, {"detail", text}});
}

}  // namespace

LogLevel kafka_log_level(int syslog_level) {
  if (syslog_level <= 3) return LogLevel::kError;  // emerg, alert, crit, err
  if (syslog_level == 4) return LogLevel::kWarn;
  if (syslog_level <= 6) return LogLevel::kInfo;   // notice, info
  return LogLevel::kDebug;
}

void route_kafka_logs(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, &on_kafka_log); }

void name_kafka_client(const rd_kafka_t* handle, std::string_view client) {
  ClientNames& names = client_names();
  std::lock_guard<std::mutex> lock(names.mu);
  names.names[handle] = std::string(client);
}

void forget_kafka_client(const rd_kafka_t* handle) {
  ClientNames& names = client_names();
  std::lock_guard<std::mutex> lock(names.mu);
  names.names.erase(handle);
}

}  // namespace cdp_relay::obs
