// Fuzz target: the YAML config loader (load_config_text) with a fixed
// environment. Any input is either a config or a list of errors; an exception
// escaping the loader (check-config and run would die with it) is a crash.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "app/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cdp_relay::app::EnvLookup env =
      [](const std::string& name) -> std::optional<std::string> {
    if (name == "VIDORA_API_KEY") return std::string("fuzz-key");
    if (name == "KAFKA_BROKERS") return std::string("127.0.0.1:9092");
    if (name == "EMPTY") return std::string();
    return std::nullopt;
  };
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto loaded = cdp_relay::app::load_config_text(yaml, env);
  volatile size_t sink = loaded.errors.all().size();
  (void)sink;
  return 0;
}
