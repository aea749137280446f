#include "util/json_lenient.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace cdp_relay::util {

std::optional<bool> lenient_bool(simdjson::dom::element value) {
  bool flag;
  if (value.get(flag) == simdjson::SUCCESS) return flag;
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS) {
    if (text == "true" || text == "True" || text == "TRUE" || text == "1") return true;
    if (text == "false" || text == "False" || text == "FALSE" || text == "0") return false;
    return std::nullopt;
  }
  int64_t integer;
  if (value.get(integer) == simdjson::SUCCESS) return integer != 0;
  return std::nullopt;
}

std::optional<int64_t> lenient_int(simdjson::dom::element value) {
  int64_t integer;
  if (value.get(integer) == simdjson::SUCCESS) return integer;
  double real;
  if (value.get(real) == simdjson::SUCCESS && std::isfinite(real) && real == std::floor(real) &&
      std::fabs(real) < 9.2e18) {
    return static_cast<int64_t>(real);
  }
  std::string_view text;
  if (value.get(text) == simdjson::SUCCESS && !text.empty()) {
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && end == text.data() + text.size()) return parsed;
  }
  return std::nullopt;
}

}  // namespace cdp_relay::util
