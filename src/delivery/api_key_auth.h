// How a destination's API key travels: as a query parameter (the default, the
// documented assumption for both destinations) or in a request header, so that
// it stays out of proxy and load-balancer access logs. Shared by every
// destination's request builder; the destinations differ only in the query
// parameter's name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/config_errors.h"

namespace cdp_relay::delivery {

enum class AuthPlacement : uint8_t {
  kQuery,   // "query": ?<parameter>=KEY
  kHeader,  // "header": <auth_header>: <auth_value with {api_key} filled in>
};

std::string_view to_string(AuthPlacement placement);
std::optional<AuthPlacement> auth_placement_from(std::string_view name);

// The YAML keys `auth`, `auth_header` and `auth_value` of a destination.
struct AuthSettings {
  AuthPlacement placement = AuthPlacement::kQuery;
  // Header name in header mode: an HTTP token (letters, digits, !#$%&'*+-.^_`|~).
  std::string header = "Authorization";
  // Header value in header mode; `{api_key}` (exactly once) becomes the key.
  std::string value_template = "Bearer {api_key}";

  static constexpr std::string_view kKeyPlaceholder = "{api_key}";

  // `api_key` is checked too (header mode: no control characters, which
  // would split the header); no error message ever contains it.
  void validate(const std::string& path, std::string_view api_key,
                util::ConfigErrors& errors) const;
};

// Puts the key where the settings say. Holds the key: never log it.
class ApiKeyAuth {
 public:
  // `query_parameter` is the destination's parameter name (`api_key`, `apikey`).
  ApiKeyAuth(const AuthSettings& settings, std::string_view query_parameter,
             std::string_view api_key);

  // Appends `?name=KEY` (or `&name=KEY`) to `url` in query mode; nothing in
  // header mode.
  void append_to_url(std::string& url) const;
  // Adds the auth header in header mode; nothing in query mode.
  void add_header(std::vector<std::string>& headers) const;
  // Every form of the key that could show up in a message: the engine masks them.
  std::vector<std::string> secrets() const;

 private:
  std::string api_key_;
  std::string escaped_api_key_;
  std::string query_suffix_;  // "name=ESCAPED_KEY", empty in header mode
  std::string header_line_;   // "Name: value", empty in query mode
};

}  // namespace cdp_relay::delivery
