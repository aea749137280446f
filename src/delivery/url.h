// URL helpers shared by destinations.
#pragma once

#include <string>
#include <string_view>

namespace cdp_relay::delivery {

// Percent-encodes `text` for a URL path segment or query value (RFC 3986
// unreserved characters pass through), using libcurl's escaper.
std::string url_escape(std::string_view text);

// The URL without its query string and fragment: the only form that may be
// logged, since query parameters carry API keys.
std::string url_for_logs(std::string_view url);

}  // namespace cdp_relay::delivery
