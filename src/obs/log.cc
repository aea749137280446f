#include "obs/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <unordered_map>

#include "util/json_writer.h"

namespace cdp_relay::obs {
namespace {

// A bound on distinct message keys tracked: they are literals, so this is
// never reached in practice; if it is, the table restarts rather than grow.
constexpr size_t kMaxTrackedKeys = 1024;

struct Window {
  std::chrono::steady_clock::time_point start{};
  int written = 0;
  uint64_t suppressed = 0;
};

struct State {
  std::mutex mu;
  int burst = 10;                                      // guarded by mu
  std::chrono::milliseconds interval{60000};           // guarded by mu
  std::unordered_map<std::string, Window> windows;     // guarded by mu
  std::function<void(std::string_view)> sink;          // guarded by mu
  const Clock* clock = nullptr;                        // guarded by mu
};

std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};

State& state() {
  static State* s = new State();  // never destroyed: logging may run during exit
  return *s;
}

}  // namespace

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

std::optional<LogLevel> log_level_from(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

void set_min_log_level(LogLevel level) { g_min_level = static_cast<int>(level); }

void set_log_rate_limit(int burst, std::chrono::milliseconds interval) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.burst = burst < 1 ? 1 : burst;
  s.interval = interval;
  s.windows.clear();
}

void set_log_sink(std::function<void(std::string_view)> sink) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.sink = std::move(sink);
}

void set_log_clock(const Clock* clock) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.clock = clock;
  s.windows.clear();
}

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);

  uint64_t suppressed = 0;
  if (level >= LogLevel::kWarn) {
    const auto now = s.clock != nullptr ? s.clock->now() : std::chrono::steady_clock::now();
    if (s.windows.size() >= kMaxTrackedKeys) s.windows.clear();
    auto [it, inserted] = s.windows.try_emplace(std::string(message));
    Window& window = it->second;
    if (inserted || now - window.start >= s.interval) {
      suppressed = window.suppressed;
      window = Window{now, 0, 0};
    }
    if (window.written >= s.burst) {
      ++window.suppressed;
      return;
    }
    ++window.written;
  }

  std::string line;
  util::JsonObjectWriter writer(line);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  writer.int_member("ts_ms", now_ms);
  writer.string_member("level", to_string(level));
  writer.string_member("msg", message);
  for (const auto& [key, value] : fields) writer.string_member(key, value);
  if (suppressed > 0) writer.int_member("suppressed", static_cast<int64_t>(suppressed));
  writer.close();
  line.push_back('\n');
  if (s.sink) {
    s.sink(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

}  // namespace cdp_relay::obs
