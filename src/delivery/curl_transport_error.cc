#include "delivery/curl_transport_error.h"

namespace cdp_relay::delivery {
namespace {

void replace_all(std::string& text, std::string_view part, std::string_view with) {
  if (part.empty()) return;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + with.size())) {
    text.replace(at, part.size(), with);
  }
}

}  // namespace

TransportErrorKind classify_transport_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportErrorKind::kDns;
    case CURLE_COULDNT_CONNECT:
      return TransportErrorKind::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportErrorKind::kTimeout;
    // Every SSL_* code of libcurl 7.88, and the server certificate check.
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return TransportErrorKind::kTls;
    default:
      return TransportErrorKind::kOther;
  }
}

std::string transport_error_message(CURLcode code, std::string_view error_buffer,
                                    std::string_view url,
                                    const std::vector<std::string>& secrets) {
  std::string message(error_buffer);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
    message.pop_back();
  }
  if (message.empty()) message = curl_easy_strerror(code);
  // curl's messages name hosts and ports, not URLs; should one ever quote the
  // URL, its query (api_key=...) must not reach the log.
  if (const size_t query = url.find('?'); query != std::string_view::npos) {
    replace_all(message, url.substr(query + 1), "[query removed]");
  }
  for (const std::string& secret : secrets) replace_all(message, secret, "[REDACTED]");
  return message;
}

}  // namespace cdp_relay::delivery
