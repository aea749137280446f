// The HttpClient of the relay: libcurl's multi interface, driven from the
// pipeline thread's one wait (its sockets and timer go into a util::WaitSet).
// Only wiring and this client's tests include it; the rest of delivery sees
// delivery/http_client.h, which does not include curl.
#pragma once

#include <curl/curl.h>
#include <poll.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "delivery/http_client.h"
#include "delivery/transport_config.h"

namespace cdp_relay::delivery {

struct CurlClientOptions {
  TlsSettings tls;
  // Egress proxy URL; empty: libcurl reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
  std::string proxy;
  // Idle connections kept per host; keep-alive makes batches cheap.
  long max_host_connections = 0;  // 0 = unlimited (bounded by concurrency)
};

// libcurl multi: keep-alive through the multi handle's connection cache,
// HTTP/2 multiplexing where the server offers it over TLS, TLS verification
// on unless explicitly disabled.
//
// Trust: with tls.ca_file set, the client trusts the system store AND that
// file. libcurl's CURLOPT_CAINFO would replace the system bundle (the public
// endpoint would stop verifying the day it is pointed at a private CA), so the
// client reads libcurl's default bundle and the operator's file once, here,
// and hands the concatenation to every handle as CURLOPT_CAINFO_BLOB (not
// copied per request).
class CurlMultiClient final : public HttpClient {
 public:
  // Throws std::runtime_error when a configured TLS file cannot be read (the
  // config loader checked them; this catches a file removed since).
  explicit CurlMultiClient(CurlClientOptions options);
  ~CurlMultiClient() override;
  CurlMultiClient(const CurlMultiClient&) = delete;
  CurlMultiClient& operator=(const CurlMultiClient&) = delete;

  void start(uint64_t ticket, HttpRequest request) override;
  void poll(std::chrono::milliseconds max_wait,
            std::vector<std::pair<uint64_t, HttpResponse>>& done) override;
  size_t active() const override { return transfers_.size(); }
  void add_wait(util::WaitSet& wait) const override;

 private:
  struct Transfer;
  static size_t on_body(char* data, size_t size, size_t count, void* user);
  static size_t on_header(char* data, size_t size, size_t count, void* user);
  // curl's multi-socket interface: curl tells us which sockets to watch for
  // what (on_socket) and when to call it back regardless (on_timer); drive()
  // reports what became ready. No thread, no busy polling.
  static int on_socket(CURL* easy, curl_socket_t socket, int what, void* user, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* user);
  // Waits up to `max_wait` (less if curl's timer is due sooner) for a watched
  // socket, then lets curl act on every ready socket and on its timer.
  void drive(std::chrono::milliseconds max_wait);

  void apply_transport_options(CURL* handle, char* error_buffer);

  CurlClientOptions options_;
  std::string ca_bundle_;             // system bundle + tls.ca_file; empty: defaults
  std::vector<std::string> secrets_;  // replaced in error messages
  CURLM* multi_ = nullptr;
  std::unordered_map<CURL*, Transfer*> transfers_;
  std::vector<CURL*> idle_handles_;  // reused easy handles
  std::unordered_map<curl_socket_t, int> sockets_;  // socket -> CURL_POLL_IN/OUT/INOUT
  std::optional<std::chrono::steady_clock::time_point> timer_;  // when curl wants a call
  std::vector<pollfd> ready_;  // drive()'s scratch
};

}  // namespace cdp_relay::delivery
