#include "replay/record_selector.h"

#include <algorithm>
#include <charconv>

#include "cdp_relay/error.h"
#include "model/timestamp.h"

namespace cdp_relay::replay {
namespace {

constexpr std::string_view kErrorPrefix = "cdp.error.";
// The cdp.error.* headers kafka_sinks::dead_letter_headers writes; their short
// names are accepted as `--filter` names.
constexpr std::string_view kErrorHeaders[] = {
    "stage", "reason", "message", "destination", "http_status", "attempts",
    "first_attempt_ms", "last_attempt_ms"};

bool is_error_header_short_name(std::string_view name) {
  return std::find(std::begin(kErrorHeaders), std::end(kErrorHeaders), name) !=
         std::end(kErrorHeaders);
}

std::vector<std::string> known_stages() {
  std::vector<std::string> names;
  for (Stage stage : {Stage::kDecode, Stage::kValidate, Stage::kTransform, Stage::kDeliver}) {
    names.emplace_back(to_string(stage));
  }
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// For the headers whose values are a closed vocabulary, the error for a value
// outside it, or nullopt. A prefix pattern is accepted when some name has it.
std::optional<std::string> check_vocabulary(const std::string& name, const ValuePattern& pattern) {
  std::vector<std::string> vocabulary;
  if (name == "cdp.error.reason") {
    vocabulary = known_reasons();
  } else if (name == "cdp.error.stage") {
    vocabulary = known_stages();
  } else {
    return std::nullopt;
  }
  const bool known = std::any_of(vocabulary.begin(), vocabulary.end(),
                                 [&](const std::string& value) { return pattern.matches(value); });
  if (known) return std::nullopt;
  return "no dead letter has " + name + "=" + pattern.text + (pattern.prefix ? "*" : "") +
         "; the relay writes: " + joined(vocabulary);
}

}  // namespace

bool ValuePattern::matches(std::string_view value) const {
  if (prefix) return value.substr(0, std::min(value.size(), text.size())) == text;
  return value == text;
}

std::optional<std::string> HeaderFilter::add(std::string_view argument) {
  const size_t equals = argument.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    return "--filter \"" + std::string(argument) + "\": expected HEADER=VALUE";
  }
  std::string name(argument.substr(0, equals));
  if (is_error_header_short_name(name)) name = std::string(kErrorPrefix) + name;
  ValuePattern pattern;
  pattern.text = std::string(argument.substr(equals + 1));
  if (!pattern.text.empty() && pattern.text.back() == '*') {
    pattern.text.pop_back();
    pattern.prefix = true;
  }
  if (auto error = check_vocabulary(name, pattern)) {
    return "--filter \"" + std::string(argument) + "\": " + *error;
  }
  patterns_[name].push_back(std::move(pattern));
  return std::nullopt;
}

bool HeaderFilter::matches(const Headers& headers) const {
  for (const auto& [name, patterns] : patterns_) {
    bool any = false;
    for (const auto& header : headers) {
      if (header.first != name) continue;
      // Not a structured binding: clang 14 (the sanitizer and fuzz builds)
      // cannot capture one in a lambda.
      const auto& value = header.second;
      any = std::any_of(patterns.begin(), patterns.end(),
                        [&value](const ValuePattern& p) { return p.matches(value); });
      if (any) break;
    }
    if (!any) return false;
  }
  return true;
}

std::string HeaderFilter::describe() const {
  if (patterns_.empty()) return "(none)";
  std::string out;
  for (const auto& [name, patterns] : patterns_) {
    if (!out.empty()) out += " and ";
    out += name + "=";
    for (size_t i = 0; i < patterns.size(); ++i) {
      if (i > 0) out += "|";
      out += patterns[i].text + (patterns[i].prefix ? "*" : "");
    }
  }
  return out;
}

std::optional<int64_t> parse_kafka_timestamp(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t ms = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return ms;
  }
  // RFC 3339 needs a date: a four-digit year and a dash (the model parser is
  // lenient enough to take other shapes, which an operator never means).
  if (text.size() < 10 || text[4] != '-') return std::nullopt;
  return model::parse_iso8601_ms(text);
}

Verdict RecordSelector::select(const Headers& headers, int64_t timestamp_ms) const {
  if (window_.bounded() && timestamp_ms < 0) return Verdict::kBeforeWindow;
  if (window_.since_ms && timestamp_ms < *window_.since_ms) return Verdict::kBeforeWindow;
  if (window_.until_ms && timestamp_ms > *window_.until_ms) return Verdict::kAfterWindow;
  return filter_.matches(headers) ? Verdict::kReplay : Verdict::kFilteredOut;
}

std::vector<std::string> known_reasons() {
  // Walk the whole underlying range: to_string() names every reason and says
  // "unknown" for the rest, so reasons added later are listed without an edit.
  std::vector<std::string> names;
  for (int value = 0; value <= 255; ++value) {
    const std::string_view name = to_string(static_cast<Reason>(value));
    if (name != "unknown") names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace cdp_relay::replay
