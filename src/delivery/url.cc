#include "delivery/url.h"

#include <curl/curl.h>

namespace cdp_relay::delivery {

std::string url_escape(std::string_view text) {
  // libcurl >= 7.82 ignores the handle argument of curl_easy_escape.
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (escaped == nullptr) return {};
  std::string result(escaped);
  curl_free(escaped);
  return result;
}

std::string url_for_logs(std::string_view url) {
  const size_t cut = url.find_first_of("?#");
  return std::string(url.substr(0, cut));
}

}  // namespace cdp_relay::delivery
