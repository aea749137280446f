#include "delivery/delivery_engine.h"

#include <algorithm>

#include "delivery/retry_after.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "util/utf8.h"

namespace cdp_relay::delivery {
namespace {

std::string describe_failure(int status, const std::string& body, const std::string& what) {
  std::string message = what;
  if (status > 0) message += " (HTTP " + std::to_string(status) + ")";
  if (!body.empty()) message += ": " + body;
  return message;
}

EngineSettings within_request_limits(EngineSettings settings, const RequestLimits& limits) {
  settings.batch.max_events = std::min(settings.batch.max_events, limits.max_events);
  settings.batch.max_bytes = std::min(settings.batch.max_bytes, limits.max_bytes);
  return settings;
}

}  // namespace

DeliveryEngine::DeliveryEngine(EngineSettings settings, std::unique_ptr<RequestBuilder> builder,
                               std::unique_ptr<HttpClient> http, Clock& clock, Random& random,
                               obs::DeliveryMetrics* metrics)
    : settings_(within_request_limits(std::move(settings), builder->request_limits())),
      builder_(std::move(builder)),
      secrets_(builder_->secrets()),
      http_(std::move(http)),
      clock_(clock),
      backoff_(settings_.retry, random),
      concurrency_(settings_.concurrency, clock),
      rate_limiter_(settings_.rate_limit_per_s, clock),
      breaker_(clock),
      metrics_(metrics) {
  if (metrics_ != nullptr) latencies_ = std::make_unique<obs::HistogramBatch>(obs::kEndToEndBuckets);
  publish_gauges();
}

DeliveryEngine::~DeliveryEngine() = default;

std::string DeliveryEngine::redact(std::string_view text) const {
  std::string result(text);
  for (const std::string& secret : secrets_) {
    if (secret.empty()) continue;
    for (size_t at = result.find(secret); at != std::string::npos;
         at = result.find(secret, at + 10)) {
      result.replace(at, secret.size(), "[REDACTED]");
    }
  }
  return result;
}

void DeliveryEngine::submit(pipeline::Output output) {
  DeliveryItem item{std::move(output.ref), std::move(output.payload),
                    output.key ? std::move(*output.key) : std::string(), output.event_time_ms};
  ++items_in_engine_;
  if (item.payload.size() + builder_->framing_bytes(1) > settings_.batch.max_bytes) {
    // No request could ever carry it: dead-letter now rather than loop on 413s.
    Batch alone;
    alone.first_attempt_ms = alone.last_attempt_ms = clock_.wall_ms();
    emit(std::move(item), Failed{Reason::kEventTooLarge}, alone, clock_.now(), early_outcomes_);
    return;
  }
  queue_.push(std::move(item), clock_.now());
}

bool DeliveryEngine::may_start_request() {
  // Non-consuming check first; then the rate token (wasting one is harmless)
  // before the breaker, whose half-open probe must only be taken by a request
  // that really starts.
  if (concurrency_.in_flight() >= concurrency_.limit()) return false;
  if (!rate_limiter_.try_acquire()) return false;
  if (!breaker_.allow_request()) return false;
  return concurrency_.try_acquire();
}

std::optional<Clock::time_point> DeliveryEngine::next_batch_due() const {
  if (!sendable_.empty()) return Clock::time_point::min();
  if (queue_.ready_items() == 0) return std::nullopt;
  const BatchSettings& limits = settings_.batch;
  const bool full =
      queue_.ready_items() >= limits.max_events ||
      queue_.ready_bytes() + builder_->framing_bytes(queue_.ready_items()) >= limits.max_bytes;
  if (full) return Clock::time_point::min();
  const auto oldest = queue_.oldest_ready();
  if (!oldest) return std::nullopt;
  return *oldest + std::chrono::milliseconds(limits.linger_ms);
}

std::unique_ptr<DeliveryEngine::Batch> DeliveryEngine::next_batch_to_send(Clock::time_point now) {
  // Halves and due retries go first: they hold users busy.
  if (!sendable_.empty()) {
    auto batch = std::move(sendable_.front());
    sendable_.pop_front();
    return batch;
  }
  const auto due = next_batch_due();
  if (!due || *due > now) return nullptr;
  const BatchSettings& limits = settings_.batch;
  const auto framing = [this](size_t n) { return builder_->framing_bytes(n); };
  auto batch = std::make_unique<Batch>();
  queue_.take_batch(limits.max_events, limits.max_bytes, framing, batch->items);
  if (batch->items.empty()) return nullptr;
  return batch;
}

void DeliveryEngine::add_wait(util::WaitSet& wait) const {
  http_->add_wait(wait);
  if (!early_outcomes_.empty()) wait.wake_now();
  if (!retry_wait_.empty()) wait.wake_at(retry_wait_.begin()->first);
  if (concurrency_.in_flight() >= concurrency_.limit()) return;
  const auto due = next_batch_due();
  if (!due) return;
  // Half-open with its probe in flight: the probe's response decides, and
  // retry_in() (0) is no time to wake at.
  if (breaker_.state() == CircuitBreaker::State::kHalfOpen) return;
  const auto held = std::max(rate_limiter_.time_until_available(), breaker_.retry_in());
  wait.wake_at(std::max(*due, wait.now() + held));
}

void DeliveryEngine::send(std::unique_ptr<Batch> batch) {
  const int64_t wall = clock_.wall_ms();
  if (batch->first_attempt_ms < 0) batch->first_attempt_ms = wall;
  batch->last_attempt_ms = wall;
  if (batch->attempts > 0) {
    ++stats_.retries;
    if (metrics_ != nullptr) metrics_->retries.Increment();
  }
  ++batch->attempts;
  ++stats_.requests;
  if (metrics_ != nullptr) metrics_->batch_events.Observe(static_cast<double>(batch->items.size()));
  HttpRequest request = builder_->build(batch->items);
  request.timeout = settings_.request_timeout;
  const uint64_t ticket = next_ticket_++;
  http_->start(ticket, std::move(request));
  in_flight_.emplace(ticket, InFlight{std::move(batch), clock_.now()});
}

void DeliveryEngine::poll(std::vector<pipeline::Outcome>& outcomes) {
  if (!early_outcomes_.empty()) {
    for (auto& outcome : early_outcomes_) outcomes.push_back(std::move(outcome));
    early_outcomes_.clear();
  }
  auto now = clock_.now();
  // Due retries join the front of the line, oldest deadline first.
  while (!retry_wait_.empty() && retry_wait_.begin()->first <= now) {
    sendable_.push_back(std::move(retry_wait_.begin()->second));
    retry_wait_.erase(retry_wait_.begin());
  }
  // Start as many requests as flow control allows. The permission check comes
  // after we know there is a batch, so a rate-limit token or a half-open
  // probe is never spent on nothing.
  while (true) {
    if (sendable_.empty() && queue_.ready_items() == 0) break;
    if (concurrency_.in_flight() >= concurrency_.limit()) break;
    auto batch = next_batch_to_send(now);
    if (!batch) break;
    if (!may_start_request()) {
      sendable_.push_front(std::move(batch));
      break;
    }
    send(std::move(batch));
  }

  responses_.clear();
  http_->poll(std::chrono::milliseconds(0), responses_);
  for (auto& [ticket, response] : responses_) {
    auto it = in_flight_.find(ticket);
    if (it == in_flight_.end()) continue;
    std::unique_ptr<Batch> batch = std::move(it->second.batch);
    in_flight_.erase(it);
    on_response(std::move(batch), response, outcomes);
  }
  publish_gauges();
}

void DeliveryEngine::publish_gauges() {
  if (metrics_ == nullptr) return;
  metrics_->inflight_requests.Set(static_cast<double>(in_flight_.size()));
  metrics_->concurrency_limit.Set(concurrency_.limit());
  metrics_->circuit_open.Set(breaker_.is_open() ? 1 : 0);
  metrics_->auth_failing.Set(auth_failing_ ? 1 : 0);
  metrics_->pending_events.Set(static_cast<double>(items_in_engine_));
}

void DeliveryEngine::count_response(const HttpResponse& response) {
  const int status = response.status;
  ++stats_.responses_by_status[status];
  if (metrics_ != nullptr) {
    metrics_->http_response(status).Increment();
    metrics_->request_duration.Observe(std::chrono::duration<double>(response.elapsed).count());
  }
  if (status >= 200 && status < 300) return;
  // Rate-limited by message key (obs/log.h). Never the body or the URL's
  // query: either may echo the API key.
  if (status == 401 || status == 403) {
    obs::log(obs::LogLevel::kError, "destination rejects the credentials; events are held",
             {{"destination", settings_.destination}, {"status", std::to_string(status)}});
  } else if (status == kTransportErrorStatus) {
    // The class tells DNS from a firewall from an untrusted certificate;
    // curl's message (already stripped of the URL's query by the client)
    // says which name, port or certificate.
    const std::string_view kind = to_string(response.transport_error_kind);
    if (metrics_ != nullptr) metrics_->transport_error(response.transport_error_kind).Increment();
    obs::log(obs::LogLevel::kWarn, "destination transport error",
             {{"destination", settings_.destination},
              {"kind", kind},
              {"error", redact(response.transport_error)}});
  } else {
    obs::log(obs::LogLevel::kWarn, "destination answered an error status",
             {{"destination", settings_.destination}, {"status", std::to_string(status)}});
  }
}

void DeliveryEngine::on_response(std::unique_ptr<Batch> batch, const HttpResponse& response,
                                 std::vector<pipeline::Outcome>& outcomes) {
  const int status = response.status;
  count_response(response);
  batch->last_status = status;
  batch->last_body = util::trim_utf8(
      redact(status == 0 ? response.transport_error : response.body),
      kMaxErrorMessageBytes / 2);

  const ResponseClass verdict = builder_->classifier().classify(status);
  concurrency_.release(AdaptiveConcurrency::Outcome{
      std::chrono::duration_cast<std::chrono::microseconds>(response.elapsed),
      is_back_pressure_status(status)});
  if (verdict == ResponseClass::kDelivered) {
    breaker_.record_success();
    auth_failing_ = false;
  } else if (verdict == ResponseClass::kRetry || verdict == ResponseClass::kAuthHold) {
    breaker_.record_failure();
  } else {
    // 4xx about the payload: the destination is up and answering.
    breaker_.record_success();
    auth_failing_ = false;
  }

  switch (verdict) {
    case ResponseClass::kDelivered:
      finish(std::move(batch), Delivered{}, outcomes);
      return;
    case ResponseClass::kRetry: {
      const auto elapsed_ms = clock_.wall_ms() - batch->first_attempt_ms;
      if (elapsed_ms >= settings_.retry.max_retry_duration_s * 1000) {
        finish(std::move(batch), Failed{Reason::kRetriesExhausted}, outcomes);
        return;
      }
      std::optional<std::chrono::milliseconds> retry_after;
      if (response.retry_after) retry_after = parse_retry_after(*response.retry_after, clock_.wall_ms());
      const auto delay = backoff_.next_delay(batch->attempts - 1, retry_after);
      schedule_retry(std::move(batch), delay);
      return;
    }
    case ResponseClass::kAuthHold:
      // Never dead-lettered, whatever max_retry_duration says: the events are
      // fine, the credentials are not.
      auth_failing_ = true;
      schedule_retry(std::move(batch), backoff_.auth_hold_delay());
      return;
    case ResponseClass::kSplit:
      if (batch->items.size() > 1) {
        split_and_continue(std::move(batch));
      } else {
        finish(std::move(batch), Failed{Reason::kEventTooLarge}, outcomes);
      }
      return;
    case ResponseClass::kBisect:
      if (batch->items.size() > 1) {
        split_and_continue(std::move(batch));
      } else {
        finish(std::move(batch), Failed{Reason::kRejectedByDestination}, outcomes);
      }
      return;
    case ResponseClass::kDeadLetter:
      finish(std::move(batch), Failed{Reason::kClientError}, outcomes);
      return;
  }
}

void DeliveryEngine::schedule_retry(std::unique_ptr<Batch> batch, std::chrono::milliseconds delay) {
  const auto at = clock_.now() + delay;
  batch->retry_at = at;
  retry_wait_.emplace(at, std::move(batch));
}

void DeliveryEngine::split_and_continue(std::unique_ptr<Batch> batch) {
  ++stats_.splits;
  auto right = std::make_unique<Batch>();
  const size_t half = batch->items.size() / 2;
  std::move(batch->items.begin() + static_cast<ptrdiff_t>(half), batch->items.end(),
            std::back_inserter(right->items));
  batch->items.resize(half);
  // Both halves inherit the attempt history, so max_retry_duration and the
  // DLQ headers still count from the original first attempt.
  right->attempts = batch->attempts;
  right->first_attempt_ms = batch->first_attempt_ms;
  right->last_attempt_ms = batch->last_attempt_ms;
  right->then = std::move(batch->then);
  batch->then = std::move(right);
  sendable_.push_front(std::move(batch));
}

void DeliveryEngine::finish(std::unique_ptr<Batch> batch, Verdict verdict,
                            std::vector<pipeline::Outcome>& outcomes) {
  const Clock::time_point now = clock_.now();
  if (std::holds_alternative<Delivered>(verdict) && metrics_ != nullptr) {
    // Once per batch, not per event (see obs::HistogramBatch).
    const int64_t wall_ms = clock_.wall_ms();
    for (const DeliveryItem& item : batch->items) {
      if (item.event_time_ms <= 0) continue;
      // A clock skewed ahead of ours must not yield a negative latency.
      const int64_t latency_ms = std::max<int64_t>(0, wall_ms - item.event_time_ms);
      latencies_->observe(static_cast<double>(latency_ms) / 1000.0);
    }
    latencies_->flush_to(metrics_->end_to_end_latency);
    metrics_->delivered.Increment(static_cast<double>(batch->items.size()));
  }
  for (DeliveryItem& item : batch->items) emit(std::move(item), verdict, *batch, now, outcomes);
  // The chained half goes next, ahead of new batches: its users are waiting.
  if (batch->then) sendable_.push_front(std::move(batch->then));
}

void DeliveryEngine::emit(DeliveryItem&& item, const Verdict& verdict, const Batch& batch,
                          Clock::time_point now, std::vector<pipeline::Outcome>& outcomes) {
  --items_in_engine_;
  queue_.release(item, now);
  pipeline::Outcome& outcome = outcomes.emplace_back();
  outcome.first_attempt_ms = batch.first_attempt_ms;
  outcome.last_attempt_ms = batch.last_attempt_ms;
  if (const auto* failed = std::get_if<Failed>(&verdict)) {
    const Reason reason = failed->reason;
    outcome.kind = pipeline::Outcome::Kind::kFailed;
    ++stats_.dead_lettered;
    if (metrics_ != nullptr) metrics_->dead_lettered(reason).Increment();
    outcome.error.stage = Stage::kDeliver;
    outcome.error.reason = reason;
    outcome.error.attempts = batch.attempts;
    if (batch.last_status >= 0) outcome.error.http_status = batch.last_status;
    switch (reason) {
      case Reason::kEventTooLarge:
        outcome.error.message = describe_failure(batch.last_status, batch.last_body,
                                                 "event larger than the request size limit");
        break;
      case Reason::kRejectedByDestination:
        outcome.error.message =
            describe_failure(batch.last_status, batch.last_body, "rejected by the destination");
        break;
      case Reason::kClientError:
        outcome.error.message =
            describe_failure(batch.last_status, batch.last_body, "non-retryable response");
        break;
      default:
        outcome.error.message = describe_failure(
            batch.last_status, batch.last_body, "gave up after max_retry_duration_s");
        break;
    }
  } else {
    outcome.kind = pipeline::Outcome::Kind::kDelivered;
    ++stats_.delivered;  // the metrics are counted per batch, in finish()
  }
  outcome.ref = std::move(item.ref);
  outcome.payload = std::move(item.payload);
}

}  // namespace cdp_relay::delivery
