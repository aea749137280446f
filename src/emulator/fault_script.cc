// Parsing and matching of emulator fault scripts (format: fault_script.h).
#include "emulator/fault_script.h"

#include <fstream>
#include <sstream>

namespace cdp_relay::emulator {
namespace {

using nlohmann::json;

// Collects the first error with its key path; parsing stops at the first one.
class Reader {
 public:
  explicit Reader(std::string& error) : error_(error) {}

  bool fail(const std::string& path, const std::string& message) {
    if (error_.empty()) error_ = path + ": " + message;
    return false;
  }

  bool check_keys(const json& object, const std::string& path,
                  std::initializer_list<std::string_view> allowed) {
    if (!object.is_object()) return fail(path, "must be an object");
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (auto name : allowed) known = known || key == name;
      if (!known) return fail(path + "." + key, "unknown key");
    }
    return true;
  }

  bool read_uint(const json& object, const char* key, const std::string& path,
                 std::optional<uint64_t>& out, uint64_t min_value) {
    auto it = object.find(key);
    if (it == object.end()) return true;
    if (!it->is_number_integer() || it->get<int64_t>() < static_cast<int64_t>(min_value)) {
      return fail(path + "." + key, "must be an integer >= " + std::to_string(min_value));
    }
    out = it->get<uint64_t>();
    return true;
  }

  bool read_number(const json& object, const char* key, const std::string& path,
                   std::optional<double>& out, double min_value, double max_value) {
    auto it = object.find(key);
    if (it == object.end()) return true;
    if (!it->is_number() || it->get<double>() < min_value || it->get<double>() > max_value) {
      std::ostringstream message;
      message << "must be a number in [" << min_value << ", " << max_value << "]";
      return fail(path + "." + key, message.str());
    }
    out = it->get<double>();
    return true;
  }

  bool read_condition(const json& value, const std::string& path, EventCondition& out) {
    if (!check_keys(value, path, {"field", "equals"})) return false;
    auto field = value.find("field");
    if (field == value.end() || !field->is_string() || field->get<std::string>().empty()) {
      return fail(path + ".field", "must be a non-empty string");
    }
    auto equals = value.find("equals");
    if (equals == value.end()) return fail(path + ".equals", "is required");
    out.field = field->get<std::string>();
    out.equals = *equals;
    return true;
  }

  bool read_match(const json& value, const std::string& path, FaultMatch& out) {
    if (!check_keys(value, path,
                    {"path_prefix", "from_request", "count", "from_s", "until_s", "probability"})) {
      return false;
    }
    if (auto it = value.find("path_prefix"); it != value.end()) {
      if (!it->is_string()) return fail(path + ".path_prefix", "must be a string");
      out.path_prefix = it->get<std::string>();
    }
    std::optional<uint64_t> from_request;
    if (!read_uint(value, "from_request", path, from_request, 1)) return false;
    if (from_request) out.from_request = *from_request;
    if (!read_uint(value, "count", path, out.count, 0)) return false;
    if (!read_number(value, "from_s", path, out.from_s, 0, 1e12)) return false;
    if (!read_number(value, "until_s", path, out.until_s, 0, 1e12)) return false;
    if (!read_number(value, "probability", path, out.probability, 0, 1)) return false;
    return true;
  }

  bool read_action(const json& value, const std::string& path, FaultAction& out) {
    if (!check_keys(value, path,
                    {"status", "retry_after", "body", "delay_ms", "reset", "reject_events_where"})) {
      return false;
    }
    std::optional<uint64_t> status;
    if (!read_uint(value, "status", path, status, 100)) return false;
    if (status) {
      if (*status > 599) return fail(path + ".status", "must be an HTTP status (100..599)");
      out.status = static_cast<int>(*status);
    }
    if (auto it = value.find("retry_after"); it != value.end()) {
      if (it->is_number_integer() && it->get<int64_t>() >= 0) {
        out.retry_after = std::to_string(it->get<int64_t>());
      } else if (it->is_string()) {
        out.retry_after = it->get<std::string>();
      } else {
        return fail(path + ".retry_after", "must be a string (seconds or an HTTP-date)");
      }
    }
    if (auto it = value.find("body"); it != value.end()) {
      out.body = it->is_string() ? it->get<std::string>() : it->dump();
    }
    std::optional<uint64_t> delay_ms;
    if (!read_uint(value, "delay_ms", path, delay_ms, 0)) return false;
    if (delay_ms) out.delay = std::chrono::milliseconds(*delay_ms);
    if (auto it = value.find("reset"); it != value.end()) {
      if (!it->is_boolean()) return fail(path + ".reset", "must be a boolean");
      out.reset = it->get<bool>();
    }
    if (auto it = value.find("reject_events_where"); it != value.end()) {
      const std::string where = path + ".reject_events_where";
      if (it->is_array()) {
        if (it->empty()) return fail(where, "must not be empty");
        for (size_t i = 0; i < it->size(); ++i) {
          EventCondition condition;
          if (!read_condition((*it)[i], where + "[" + std::to_string(i) + "]", condition)) {
            return false;
          }
          out.reject_events_where.push_back(std::move(condition));
        }
      } else {
        EventCondition condition;
        if (!read_condition(*it, where, condition)) return false;
        out.reject_events_where.push_back(std::move(condition));
      }
    }
    return true;
  }

 private:
  std::string& error_;
};

bool event_matches(const json& event, const std::vector<EventCondition>& conditions) {
  if (!event.is_object()) return false;
  for (const auto& condition : conditions) {
    auto it = event.find(condition.field);
    if (it != event.end() && *it == condition.equals) return true;
  }
  return false;
}

}  // namespace

std::optional<FaultScript> FaultScript::parse(std::string_view json_text, std::string& error) {
  error.clear();
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    error = "script: invalid JSON";
    return std::nullopt;
  }
  Reader reader(error);
  if (!reader.check_keys(root, "script", {"seed", "rules"})) return std::nullopt;
  FaultScript script;
  std::optional<uint64_t> seed;
  if (!reader.read_uint(root, "seed", "script", seed, 0)) return std::nullopt;
  script.seed = seed.value_or(0);
  auto rules = root.find("rules");
  if (rules == root.end()) return script;
  if (!rules->is_array()) {
    reader.fail("rules", "must be an array");
    return std::nullopt;
  }
  for (size_t i = 0; i < rules->size(); ++i) {
    const std::string path = "rules[" + std::to_string(i) + "]";
    const json& rule_json = (*rules)[i];
    if (!reader.check_keys(rule_json, path, {"match", "action"})) return std::nullopt;
    FaultRule rule;
    if (auto it = rule_json.find("match"); it != rule_json.end()) {
      if (!reader.read_match(*it, path + ".match", rule.match)) return std::nullopt;
    }
    auto action = rule_json.find("action");
    if (action == rule_json.end()) {
      reader.fail(path + ".action", "is required");
      return std::nullopt;
    }
    if (!reader.read_action(*action, path + ".action", rule.action)) return std::nullopt;
    script.rules.push_back(std::move(rule));
  }
  return script;
}

std::optional<FaultScript> FaultScript::load_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read the script file";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto script = parse(text.str(), error);
  if (!script) error = path + ": " + error;
  return script;
}

FaultDecision FaultScript::decide(const FaultRequest& request, Random& random) const {
  FaultDecision decision;
  const double elapsed_s = std::chrono::duration<double>(request.elapsed).count();
  for (const auto& rule : rules) {
    const FaultMatch& match = rule.match;
    if (!request.path.starts_with(match.path_prefix)) continue;
    if (request.request_number < match.from_request) continue;
    if (match.count && request.request_number - match.from_request >= *match.count) continue;
    if (match.from_s && elapsed_s < *match.from_s) continue;
    if (match.until_s && elapsed_s >= *match.until_s) continue;

    std::vector<size_t> rejected;
    if (!rule.action.reject_events_where.empty()) {
      if (request.events == nullptr || !request.events->is_array()) continue;
      for (size_t i = 0; i < request.events->size(); ++i) {
        if (event_matches((*request.events)[i], rule.action.reject_events_where)) {
          rejected.push_back(i);
        }
      }
      if (rejected.empty()) continue;
    }
    // Drawn last so that the sequence of draws depends only on requests that
    // reached this rule: a script replays identically for the same traffic.
    if (match.probability && !(random.uniform() < *match.probability)) continue;

    decision.rule = &rule;
    decision.rejected_indexes = std::move(rejected);
    return decision;
  }
  return decision;
}

}  // namespace cdp_relay::emulator
