// Structured JSON log lines on stderr:
//   {"ts_ms":...,"level":"warn","msg":"...",<fields>...}
//
// Levels: debug < info < warn < error; lines below the minimum level (config
// key `log_level`, default info) are dropped.
//
// Rate limiting (warn and error only): lines with the same `msg` (the message
// key: a literal naming the situation, never data) are written at most
// `burst` times per `interval`; the rest are counted, and the first line of
// that key written after the window carries "suppressed":K, the number of
// lines dropped meanwhile. Defaults: 10 per 60 s. Info and debug lines are
// never limited: they are rare by construction.
//
// REQUIRES of every caller: no secret in any field. URLs are logged only
// through delivery::url_for_logs (no query string).
//
// Thread-safe: every function may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>

#include "cdp_relay/clock.h"

namespace cdp_relay::obs {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<std::string_view, std::string_view>;

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
void set_min_log_level(LogLevel level);

// "debug", "info", "warn", "error" (also "warning"); nullopt otherwise.
std::optional<LogLevel> log_level_from(std::string_view name);
std::string_view to_string(LogLevel level);

void set_log_rate_limit(int burst, std::chrono::milliseconds interval);

// Test seams: where lines go (default: stderr) and which clock the rate
// limiter reads (default: the steady clock). Pass {} / nullptr to restore.
void set_log_sink(std::function<void(std::string_view line)> sink);
void set_log_clock(const Clock* clock);

}  // namespace cdp_relay::obs
