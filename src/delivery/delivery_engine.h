// The shared HTTP delivery engine: one per destination. Destinations supply a
// RequestBuilder (map a batch to a request, classify statuses); everything
// else lives here once (STYLE.md: "A sink only classifies; it never loops").
//
// Per batch, after each attempt (README "Delivery", response classes):
//   delivered   -> every item delivered
//   retry       -> whole batch again after full-jitter backoff, at least the
//                  server's Retry-After; dead-lettered with the last status
//                  once max_retry_duration has passed since the first attempt
//   split (413) -> halves, sent one after the other; a single event -> DLQ
//   bisect      -> halves, one after the other, until the bad events stand
//   (400/422)     alone; those go to the DLQ, the rest are delivered
//   auth hold   -> retried with a long fixed backoff, forever; the engine
//   (401/403)     reports itself unhealthy meanwhile; never dead-lettered
//   dead letter -> every item to the DLQ with the status
//
// Ordering: items are batched through a UserOrderedQueue, and a batch's halves
// are chained (the second waits for the first), so one user's events are sent
// in order even across retries and bisection.
//
// Flow control: a request is started only when the adaptive concurrency limit,
// the optional token bucket and the circuit breaker all allow it. While the
// breaker is open nothing is dropped: batches wait.
//
// Metrics (optional, obs::DeliveryMetrics): delivered and dead-lettered
// events, responses by code, transport errors by kind, request duration, batch size, end-to-end
// latency, retries, and after every poll() the in-flight, limit, circuit,
// auth and pending gauges. Counted here because only the engine sees each
// attempt; the pipeline loop counts what it routes.
//
// The engine is the pipeline's Sink for its destination (pipeline/sink.h): an
// output goes in as one event, and comes back delivered or failed (then the
// loop dead-letters it). A destination's own limits on a request (Spideo:
// one event) come from its RequestBuilder and bound the batch settings.
//
// Threading: none. The pipeline loop calls submit() and poll() on its thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "cdp_relay/clock.h"
#include "delivery/adaptive_concurrency.h"
#include "delivery/backoff.h"
#include "delivery/circuit_breaker.h"
#include "delivery/delivery_config.h"
#include "delivery/delivery_item.h"
#include "delivery/http_client.h"
#include "delivery/rate_limiter.h"
#include "delivery/request_builder.h"
#include "delivery/user_ordered_queue.h"
#include "pipeline/sink.h"
#include "util/wait_set.h"

namespace cdp_relay::obs {
class DeliveryMetrics;
class HistogramBatch;
}  // namespace cdp_relay::obs

namespace cdp_relay::delivery {

struct EngineSettings {
  std::string destination;  // "vidora", "spideo": DLQ header and metric label
  BatchSettings batch;
  RetrySettings retry;
  ConcurrencySettings concurrency;
  double rate_limit_per_s = 0;
  std::chrono::milliseconds request_timeout{30000};
};

// Counters for metrics and tests. Monotonic except the gauges at the end.
struct EngineStats {
  uint64_t requests = 0;
  std::map<int, uint64_t> responses_by_status;  // 0 = transport error
  uint64_t retries = 0;          // attempts after the first, per batch
  uint64_t delivered = 0;        // items
  uint64_t dead_lettered = 0;    // items
  uint64_t splits = 0;           // 413 splits and 400/422 bisections
};

class DeliveryEngine final : public pipeline::Sink {
 public:
  // `metrics` may be null (unit tests); it must outlive the engine. The
  // batch settings are bounded by what the builder's destination accepts
  // (RequestBuilder::request_limits).
  DeliveryEngine(EngineSettings settings, std::unique_ptr<RequestBuilder> builder,
                 std::unique_ptr<HttpClient> http, Clock& clock, Random& random,
                 obs::DeliveryMetrics* metrics = nullptr);
  ~DeliveryEngine() override;

  // The destination's name ("vidora", "spideo").
  const std::string& name() const override { return settings_.destination; }

  // Queues one encoded event (its key orders it among its user's events). An
  // event too large to ever fit a request is failed at once (reported by the
  // next poll()).
  void submit(pipeline::Output output) override;

  // Starts due requests, drives transfers without waiting and appends every
  // item that reached a final state to `outcomes`: delivered, or failed with
  // its reason (stage deliver), last HTTP status, attempt count and a trimmed
  // response body in the message.
  void poll(std::vector<pipeline::Outcome>& outcomes) override;

  // Event-driven use: adds to the pipeline's one wait what would give poll()
  // something to do: a response (the HTTP client's sockets and timer), the
  // next batch's linger deadline (or now, when one is full), the earliest
  // retry, and, while the rate limiter or the circuit breaker holds a batch
  // back, the time they let it go. Nothing for a batch that waits for a
  // request slot: a response frees the slot, and that wakes the wait anyway.
  void add_wait(util::WaitSet& wait) const override;

  // Items held by the engine: queued, in flight, or waiting for a retry.
  size_t pending() const override { return items_in_engine_; }
  pipeline::SinkHealth health() const override { return {circuit_open_for(), auth_failing_}; }

  size_t requests_in_flight() const { return in_flight_.size(); }
  int concurrency_limit() const { return concurrency_.limit(); }
  bool circuit_open() const { return breaker_.is_open(); }
  std::chrono::milliseconds circuit_open_for() const { return breaker_.open_for(); }
  // True while the last response was 401/403: credentials need an operator.
  bool auth_failing() const { return auth_failing_; }
  const EngineStats& stats() const { return stats_; }

 private:
  struct Batch {
    std::vector<DeliveryItem> items;
    int attempts = 0;
    int64_t first_attempt_ms = -1;
    int64_t last_attempt_ms = -1;
    int last_status = -1;
    std::string last_body;
    Clock::time_point retry_at{};
    std::unique_ptr<Batch> then;  // the other half, sent after this one resolves
  };

  // How a batch ends: every item delivered, or every item failed for one reason.
  struct Delivered {};
  struct Failed {
    Reason reason;
  };
  using Verdict = std::variant<Delivered, Failed>;

  bool may_start_request();
  // When the next batch may be sent as far as batching goes: at once for
  // halves and due retries, and for a full batch; after its linger for a
  // partial one; never (nullopt) with nothing ready.
  std::optional<Clock::time_point> next_batch_due() const;
  std::unique_ptr<Batch> next_batch_to_send(Clock::time_point now);
  void send(std::unique_ptr<Batch> batch);
  void on_response(std::unique_ptr<Batch> batch, const HttpResponse& response,
                   std::vector<pipeline::Outcome>& outcomes);
  void schedule_retry(std::unique_ptr<Batch> batch, std::chrono::milliseconds delay);
  void split_and_continue(std::unique_ptr<Batch> batch);
  void finish(std::unique_ptr<Batch> batch, Verdict verdict,
              std::vector<pipeline::Outcome>& outcomes);
  // `now`: read once per finished batch, not per item (reading the clock
  // for every event is a cost on the hot path).
  void emit(DeliveryItem&& item, const Verdict& verdict, const Batch& batch,
            Clock::time_point now, std::vector<pipeline::Outcome>& outcomes);
  void count_response(const HttpResponse& response);
  void publish_gauges();

  // Response bodies with every secret of the destination replaced.
  std::string redact(std::string_view text) const;

  EngineSettings settings_;
  std::unique_ptr<RequestBuilder> builder_;
  std::vector<std::string> secrets_;  // from builder_->secrets(); never logged
  std::unique_ptr<HttpClient> http_;
  Clock& clock_;
  Backoff backoff_;
  AdaptiveConcurrency concurrency_;
  RateLimiter rate_limiter_;
  CircuitBreaker breaker_;

  UserOrderedQueue queue_;
  std::deque<std::unique_ptr<Batch>> sendable_;  // halves and due retries, first in line
  std::multimap<Clock::time_point, std::unique_ptr<Batch>> retry_wait_;
  struct InFlight {
    std::unique_ptr<Batch> batch;
    Clock::time_point started;
  };
  std::unordered_map<uint64_t, InFlight> in_flight_;
  uint64_t next_ticket_ = 1;
  std::vector<pipeline::Outcome> early_outcomes_;  // rejected at submit()
  std::vector<std::pair<uint64_t, HttpResponse>> responses_;
  size_t items_in_engine_ = 0;
  bool auth_failing_ = false;
  EngineStats stats_;
  obs::DeliveryMetrics* metrics_ = nullptr;
  std::unique_ptr<obs::HistogramBatch> latencies_;  // one finished batch's; with metrics only
};

}  // namespace cdp_relay::delivery
