#include "delivery/curl_http_client.h"

#include <poll.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

#include "delivery/curl_transport_error.h"

namespace cdp_relay::delivery {

struct CurlMultiClient::Transfer {
  uint64_t ticket = 0;
  HttpRequest request;
  curl_slist* headers = nullptr;
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {};  // curl's detailed message on failure
};

namespace {

// curl_global_init is not thread-safe; do it once, before any handle exists.
void global_init_once() {
  static const bool initialized = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)initialized;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// The whole file, or nullopt when it cannot be opened.
std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// libcurl's default CA bundle (Debian: /etc/ssl/certs/ca-certificates.crt)
// followed by the operator's PEM file.
std::string system_bundle_plus(const std::string& ca_file) {
  std::optional<std::string> extra = read_file(ca_file);
  if (!extra) throw std::runtime_error("cannot read the TLS CA file " + ca_file);
  std::string bundle;
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info != nullptr && info->cainfo != nullptr) {
    // An image without ca-certificates has no system bundle: the operator's
    // CA (and libcurl's CA directory, if any) is then all there is.
    if (std::optional<std::string> system = read_file(info->cainfo)) bundle = std::move(*system);
  }
  if (!bundle.empty() && bundle.back() != '\n') bundle.push_back('\n');
  bundle += *extra;
  return bundle;
}

// The password of a proxy URL's user:password@ part, and the whole part.
std::vector<std::string> proxy_credentials(const std::string& proxy) {
  const size_t scheme_end = proxy.find("://");
  const size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const size_t at = proxy.find('@', start);
  if (at == std::string::npos) return {};
  const std::string userinfo = proxy.substr(start, at - start);
  std::vector<std::string> secrets{userinfo};
  if (const size_t colon = userinfo.find(':'); colon != std::string::npos) {
    secrets.push_back(userinfo.substr(colon + 1));
  }
  return secrets;
}

// poll(2) events for curl's CURL_POLL_IN / _OUT / _INOUT.
short poll_events(int what) {
  short events = 0;
  if (what & CURL_POLL_IN) events |= POLLIN;
  if (what & CURL_POLL_OUT) events |= POLLOUT;
  return events;
}

}  // namespace

CurlMultiClient::CurlMultiClient(CurlClientOptions options) : options_(std::move(options)) {
  global_init_once();
  if (!options_.tls.ca_file.empty()) ca_bundle_ = system_bundle_plus(options_.tls.ca_file);
  secrets_ = proxy_credentials(options_.proxy);
  if (!options_.tls.key_password.empty()) secrets_.push_back(options_.tls.key_password);
  // Longest first, so a password inside the user:password part is not
  // replaced before the whole part is.
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMultiClient::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMultiClient::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  if (options_.max_host_connections > 0) {
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_host_connections);
  }
}

CurlMultiClient::~CurlMultiClient() {
  for (auto& [handle, transfer] : transfers_) {
    curl_multi_remove_handle(multi_, handle);
    curl_slist_free_all(transfer->headers);
    delete transfer;
    curl_easy_cleanup(handle);
  }
  for (CURL* handle : idle_handles_) curl_easy_cleanup(handle);
  curl_multi_cleanup(multi_);
}

size_t CurlMultiClient::on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  std::string& body = transfer->response.body;
  if (body.size() < kMaxResponseBody) {
    body.append(data, std::min(bytes, kMaxResponseBody - body.size()));
  }
  return bytes;  // keep reading (and discarding) so the connection stays reusable
}

size_t CurlMultiClient::on_header(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (iequals_prefix(line, kRetryAfter)) {
    std::string_view value = line.substr(kRetryAfter.size());
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    transfer->response.retry_after = std::string(value);
  }
  return bytes;
}

void CurlMultiClient::start(uint64_t ticket, HttpRequest request) {
  CURL* handle = nullptr;
  if (!idle_handles_.empty()) {
    handle = idle_handles_.back();
    idle_handles_.pop_back();
    curl_easy_reset(handle);
  } else {
    handle = curl_easy_init();
  }
  auto* transfer = new Transfer{ticket, std::move(request), nullptr, {}};
  for (const auto& header : transfer->request.headers) {
    transfer->headers = curl_slist_append(transfer->headers, header.c_str());
  }
  // No "Expect: 100-continue": libcurl adds it to a POST over 1 MB and holds
  // the body back for the server's interim answer, a round trip per batch
  // (and a full second against a server that never sends one).
  transfer->headers = curl_slist_append(transfer->headers, "Expect:");
  const HttpRequest& req = transfer->request;
  curl_easy_setopt(handle, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method != "GET") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, transfer->headers);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(req.timeout.count(), 10000)));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  apply_transport_options(handle, transfer->error_buffer);
  curl_easy_setopt(handle, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &CurlMultiClient::on_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, transfer);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &CurlMultiClient::on_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, transfer);
  curl_easy_setopt(handle, CURLOPT_PRIVATE, transfer);
  transfers_.emplace(handle, transfer);
  curl_multi_add_handle(multi_, handle);
}

void CurlMultiClient::apply_transport_options(CURL* handle, char* error_buffer) {
  error_buffer[0] = '\0';
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  const TlsSettings& tls = options_.tls;
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  if (!ca_bundle_.empty()) {
    curl_blob blob{ca_bundle_.data(), ca_bundle_.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(handle, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!tls.cert_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_SSLCERT, tls.cert_file.c_str());
    curl_easy_setopt(handle, CURLOPT_SSLKEY,
                     (tls.key_file.empty() ? tls.cert_file : tls.key_file).c_str());
    if (!tls.key_password.empty()) {
      curl_easy_setopt(handle, CURLOPT_KEYPASSWD, tls.key_password.c_str());
    }
  }
  if (!options_.proxy.empty()) curl_easy_setopt(handle, CURLOPT_PROXY, options_.proxy.c_str());
}

int CurlMultiClient::on_socket(CURL*, curl_socket_t socket, int what, void* user, void*) {
  auto* self = static_cast<CurlMultiClient*>(user);
  if (what == CURL_POLL_REMOVE) {
    self->sockets_.erase(socket);
  } else {
    self->sockets_[socket] = what;
  }
  return 0;
}

int CurlMultiClient::on_timer(CURLM*, long timeout_ms, void* user) {
  auto* self = static_cast<CurlMultiClient*>(user);
  if (timeout_ms < 0) {
    self->timer_.reset();
  } else {
    self->timer_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void CurlMultiClient::add_wait(util::WaitSet& wait) const {
  for (const auto& [socket, what] : sockets_) wait.watch(socket, poll_events(what));
  // curl's timer is on the steady clock.
  if (timer_) wait.wake_after(*timer_ - std::chrono::steady_clock::now());
}

void CurlMultiClient::drive(std::chrono::milliseconds max_wait) {
  auto now = std::chrono::steady_clock::now();
  if (transfers_.empty()) max_wait = std::chrono::milliseconds(0);
  if (timer_) {
    const auto until_timer =
        std::chrono::ceil<std::chrono::milliseconds>(std::max(*timer_ - now, std::chrono::steady_clock::duration::zero()));
    max_wait = std::min(max_wait, until_timer);
  }
  ready_.clear();
  for (const auto& [socket, what] : sockets_) ready_.push_back(pollfd{socket, poll_events(what), 0});
  int running = 0;
  if (!ready_.empty() || max_wait.count() > 0) {
    if (::poll(ready_.data(), ready_.size(), static_cast<int>(max_wait.count())) > 0) {
      for (const pollfd& fd : ready_) {
        if (fd.revents == 0) continue;
        int mask = 0;
        if (fd.revents & (POLLIN | POLLHUP)) mask |= CURL_CSELECT_IN;
        if (fd.revents & POLLOUT) mask |= CURL_CSELECT_OUT;
        if (fd.revents & (POLLERR | POLLNVAL)) mask |= CURL_CSELECT_ERR;
        curl_multi_socket_action(multi_, fd.fd, mask, &running);
      }
    }
  }
  now = std::chrono::steady_clock::now();
  if (timer_ && *timer_ <= now) {
    timer_.reset();  // curl sets the next one from inside the call if it needs one
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  }
}

void CurlMultiClient::poll(std::chrono::milliseconds max_wait,
                           std::vector<std::pair<uint64_t, HttpResponse>>& done) {
  drive(max_wait);
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* handle = message->easy_handle;
    auto it = transfers_.find(handle);
    if (it == transfers_.end()) continue;
    Transfer* transfer = it->second;
    HttpResponse& response = transfer->response;
    if (message->data.result == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
      response.status = static_cast<int>(status);
    } else {
      response.status = 0;
      response.transport_error_kind = classify_transport_error(message->data.result);
      response.transport_error = transport_error_message(
          message->data.result, transfer->error_buffer, transfer->request.url, secrets_);
    }
    curl_off_t total_us = 0;
    curl_easy_getinfo(handle, CURLINFO_TOTAL_TIME_T, &total_us);
    response.elapsed = std::chrono::microseconds(total_us);
    curl_multi_remove_handle(multi_, handle);
    curl_slist_free_all(transfer->headers);
    done.emplace_back(transfer->ticket, std::move(response));
    delete transfer;
    transfers_.erase(it);
    idle_handles_.push_back(handle);
  }
}

}  // namespace cdp_relay::delivery
