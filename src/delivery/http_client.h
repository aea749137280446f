// Asynchronous HTTP for the delivery engine: a small interface, the test seam.
// Its libcurl multi implementation is delivery/curl_http_client.h; this
// header stays free of curl so that the engine's headers do not pull it in.
//
// The URL of a request may carry a secret (api_key as a query parameter), so
// no implementation logs URLs, and a transport error's text has the URL's
// query and the transport secrets replaced before it leaves the client.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cdp_relay/transport_error_kind.h"
#include "util/wait_set.h"

namespace cdp_relay::delivery {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds timeout{30000};
};

struct HttpResponse {
  int status = 0;                          // 0: transport error (timeout, reset, refused)
  std::string body;                        // at most kMaxResponseBody bytes
  std::optional<std::string> retry_after;  // the Retry-After header, verbatim
  // When status is 0: the transport's message (curl's), safe to log, and
  // its class.
  std::string transport_error;
  TransportErrorKind transport_error_kind = TransportErrorKind::kOther;
  std::chrono::microseconds elapsed{0};
};

inline constexpr size_t kMaxResponseBody = 4096;

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Starts a request; its response comes back from poll() with `ticket`.
  virtual void start(uint64_t ticket, HttpRequest request) = 0;
  // Drives transfers, waiting at most `max_wait` for activity, and appends
  // finished ones to `done`.
  virtual void poll(std::chrono::milliseconds max_wait,
                    std::vector<std::pair<uint64_t, HttpResponse>>& done) = 0;
  virtual size_t active() const = 0;
  // Event-driven use: adds what the client waits for (its sockets, its own
  // timer) to the caller's one wait; once that wakes, poll() with no wait
  // drives whatever became ready. A client with nothing to wait on (a test
  // fake) adds nothing.
  virtual void add_wait(util::WaitSet& wait) const { (void)wait; }
};

}  // namespace cdp_relay::delivery
