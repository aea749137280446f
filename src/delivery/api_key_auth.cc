#include "delivery/api_key_auth.h"

#include <algorithm>
#include <cctype>

#include "delivery/url.h"

namespace cdp_relay::delivery {
namespace {

// RFC 9110 token characters: what a header field name may consist of.
bool is_token(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  kSymbols.find(c) != std::string_view::npos;
         });
}

// Control characters (CR, LF, NUL ...) would end or split the header line.
bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// Headers the HTTP client or the request builders set themselves.
bool is_reserved_header(std::string_view name) {
  constexpr std::string_view kReserved[] = {"content-type", "content-length", "host", "expect",
                                            "transfer-encoding", "connection"};
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(std::begin(kReserved), std::end(kReserved), lower) != std::end(kReserved);
}

size_t count_of(std::string_view text, std::string_view part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string_view::npos;
       at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

}  // namespace

std::string_view to_string(AuthPlacement placement) {
  return placement == AuthPlacement::kHeader ? "header" : "query";
}

std::optional<AuthPlacement> auth_placement_from(std::string_view name) {
  if (name == "query") return AuthPlacement::kQuery;
  if (name == "header") return AuthPlacement::kHeader;
  return std::nullopt;
}

void AuthSettings::validate(const std::string& path, std::string_view api_key,
                            util::ConfigErrors& errors) const {
  errors.check(is_token(header), path + ".auth_header",
               "must be an HTTP header name (letters, digits, !#$%&'*+-.^_`|~)");
  errors.check(!is_reserved_header(header), path + ".auth_header",
               "must not be a header the relay sets itself (Content-Type, Host, ...)");
  errors.check(count_of(value_template, kKeyPlaceholder) == 1, path + ".auth_value",
               "must contain {api_key} exactly once");
  errors.check(!has_control_character(value_template), path + ".auth_value",
               "must not contain control characters");
  if (placement == AuthPlacement::kHeader) {
    errors.check(!has_control_character(api_key), path + ".api_key",
                 "must not contain control characters when auth is header");
  }
}

ApiKeyAuth::ApiKeyAuth(const AuthSettings& settings, std::string_view query_parameter,
                       std::string_view api_key)
    : api_key_(api_key), escaped_api_key_(url_escape(api_key)) {
  if (settings.placement == AuthPlacement::kQuery) {
    query_suffix_.append(query_parameter).append("=").append(escaped_api_key_);
    return;
  }
  std::string value = settings.value_template;
  if (const size_t at = value.find(AuthSettings::kKeyPlaceholder); at != std::string::npos) {
    value.replace(at, AuthSettings::kKeyPlaceholder.size(), api_key_);
  }
  header_line_ = settings.header + ": " + value;
}

void ApiKeyAuth::append_to_url(std::string& url) const {
  if (query_suffix_.empty()) return;
  url.push_back(url.find('?') == std::string::npos ? '?' : '&');
  url.append(query_suffix_);
}

void ApiKeyAuth::add_header(std::vector<std::string>& headers) const {
  if (!header_line_.empty()) headers.push_back(header_line_);
}

std::vector<std::string> ApiKeyAuth::secrets() const { return {api_key_, escaped_api_key_}; }

}  // namespace cdp_relay::delivery
