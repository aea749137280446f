// Response classes of the shared HTTP delivery engine (README
// "Delivery") and the per-destination table that maps an HTTP status
// to one of them.
//
// Owns: the default status -> class table and a destination's overrides of it.
// Invariants:
//   - Every int maps to exactly one class; classification never fails. Unknown
//     or malformed statuses map to a class that keeps the events (kRetry), so a
//     misbehaving destination can delay events but never drop them silently
//     (the cost Vector issue #10870 records for misclassified statuses).
//   - 401/403 are never kDeadLetter by default: credentials are an operator
//     problem, and the events wait for the fix (kAuthHold).
//   - Destinations only classify; backoff, splitting and bisection live in the
//     engine (STYLE.md "A retry loop per destination").
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <utility>

namespace cdp_relay::delivery {

// What the engine does with a batch after one attempt.
enum class ResponseClass : uint8_t {
  kDelivered,   // 2xx: every event in the batch is delivered.
  kRetry,       // 408, 425, 429, 5xx except 501, transport errors: retry the
                // whole batch with backoff, honouring Retry-After.
  kSplit,       // 413: the batch is too large; split it and retry the halves.
  kBisect,      // 400, 422: some event is bad; bisect to isolate it. Isolated
                // events are dead-lettered, the rest delivered.
  kAuthHold,    // 401, 403: hold and retry with a long backoff; /readyz reports
                // the destination unhealthy. Never dropped, never dead-lettered.
  kDeadLetter,  // 501 and other 4xx: the request can never succeed; DLQ.
};

// Stable snake_case name, used in logs and as a bounded metric label.
std::string_view to_string(ResponseClass response_class);

// The status an HTTP client reports when no HTTP response was received
// (timeout, connection refused or reset, TLS failure, DNS failure).
inline constexpr int kTransportErrorStatus = 0;

// Classifies `http_status` with the default table (README "Delivery"):
//
//   0 (transport error)            kRetry
//   1xx                            kRetry       (see below)
//   2xx                            kDelivered
//   3xx                            kRetry       (see below)
//   400, 422                       kBisect
//   401, 403                       kAuthHold
//   408, 425, 429                  kRetry
//   413                            kSplit
//   other 4xx                      kDeadLetter
//   501                            kDeadLetter  (Not Implemented: permanent)
//   other 5xx                      kRetry
//   anything else (<0, >= 600)     kRetry
//
// 1xx as a final status and statuses outside 0-599 are protocol violations by
// the server or a proxy in between; they say nothing about the events, so the
// batch is retried (and dead-lettered with its last status once
// max_retry_duration runs out, like any retry).
//
// 3xx: libcurl does not follow redirects for a POST unless told to, and the
// engine does not tell it to (a 301/302 would turn the POST into a GET and lose
// the body). A 3xx therefore means the endpoint moved or base_url is wrong, or
// a proxy is redirecting during maintenance. None of these is a property of the
// events, so dead-lettering them would empty the topic into the DLQ for a
// configuration error. Retrying keeps them: repeated 3xx trip the circuit
// breaker, which /readyz reports, and max_retry_duration still bounds the wait.
ResponseClass classify_status(int http_status);

// True when `http_status` is an explicit or implied back-pressure signal for
// adaptive concurrency: 429 (Too Many Requests), 503 (Unavailable), 504
// (a proxy timed out waiting for the destination) and transport errors
// (mostly our own timeouts). Other retryable statuses (500, 502) are failures
// but not evidence that we send too much.
bool is_back_pressure_status(int http_status);

// The default table plus a destination's overrides (Vector's RetryLogic idea:
// the engine is shared, the verdict is per destination). For example a
// destination whose API answers 404 for "unknown user" while the batch is
// otherwise fine can map 404 to kBisect.
//
// Cheap to copy; immutable after construction, so safe to share across
// threads.
class StatusClassifier {
 public:
  // The default table, no overrides.
  StatusClassifier() = default;
  // `overrides` take precedence over the default table for exactly the
  // statuses they name.
  explicit StatusClassifier(std::map<int, ResponseClass> overrides)
      : overrides_(std::move(overrides)) {}

  ResponseClass classify(int http_status) const;

  const std::map<int, ResponseClass>& overrides() const { return overrides_; }

 private:
  std::map<int, ResponseClass> overrides_;
};

}  // namespace cdp_relay::delivery
