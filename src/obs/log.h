// Structured JSON log lines on stderr: {"ts":...,"level":"info","msg":...,...}.
//
// REQUIRES of every caller: no secret in any field. URLs are logged only
// through delivery::url_for_logs (no query string).
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace cdp_relay::obs {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<std::string_view, std::string_view>;

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
void set_min_log_level(LogLevel level);

}  // namespace cdp_relay::obs
