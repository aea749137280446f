// The shared delivery engine against a scripted HTTP client and a manual
// clock: batching, response classes, ordering. Deterministic: no sockets, no
// sleeps (the same behaviours run over real HTTP in tests/integration/).
#include "delivery/delivery_engine.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>

#include "destinations/spideo/spideo_request_builder.h"
#include "destinations/vidora/vidora_config.h"
#include "destinations/vidora/vidora_request_builder.h"
#include "kafka_sinks/dead_letter.h"
#include "obs/log.h"
#include "obs/metrics.h"

namespace cdp_relay::delivery {
namespace {

using namespace std::chrono_literals;

class FixedRandom final : public Random {
 public:
  double uniform() override { return 0.5; }
};

// Answers each request with whatever the test's responder says.
class ScriptedHttp final : public HttpClient {
 public:
  using Responder = std::function<HttpResponse(const HttpRequest&)>;
  explicit ScriptedHttp(Responder* responder, std::vector<HttpRequest>* log,
                        const bool* hold = nullptr)
      : responder_(responder), log_(log), hold_(hold) {}
  void start(uint64_t ticket, HttpRequest request) override {
    log_->push_back(request);
    pending_.emplace_back(ticket, (*responder_)(request));
  }
  void poll(std::chrono::milliseconds, std::vector<std::pair<uint64_t, HttpResponse>>& done) override {
    if (hold_ != nullptr && *hold_) return;  // requests stay in flight
    for (auto& entry : pending_) done.push_back(std::move(entry));
    pending_.clear();
  }
  size_t active() const override { return pending_.size(); }

 private:
  Responder* responder_;
  std::vector<HttpRequest>* log_;
  const bool* hold_;
  std::vector<std::pair<uint64_t, HttpResponse>> pending_;
};

bool delivered(const pipeline::Outcome& outcome) {
  return outcome.kind == pipeline::Outcome::Kind::kDelivered;
}

HttpResponse status(int code, std::optional<std::string> retry_after = std::nullopt) {
  HttpResponse response;
  response.status = code;
  response.retry_after = std::move(retry_after);
  response.body = code >= 300 ? "{\"error\":\"nope\"}" : "{}";
  return response;
}

class DeliveryEngineTest : public ::testing::Test {
 protected:
  // Vidora's request builder unless `builder` is given.
  void make_engine(size_t max_events = 500, int64_t linger_ms = 100,
                   obs::DeliveryMetrics* metrics = nullptr,
                   std::unique_ptr<RequestBuilder> builder = nullptr) {
    destinations::vidora::VidoraSettings vidora;
    vidora.api_key = "test secret/key";
    vidora.base_url = "http://127.0.0.1:1";
    if (!builder) builder = std::make_unique<destinations::vidora::VidoraRequestBuilder>(vidora);
    EngineSettings settings;
    settings.destination = "vidora";
    settings.batch.max_events = max_events;
    settings.batch.max_bytes = 4096;
    settings.batch.linger_ms = linger_ms;
    settings.retry.initial_backoff_ms = 100;
    settings.retry.max_backoff_ms = 1000;
    settings.retry.max_retry_duration_s = 60;
    settings.retry.auth_hold_ms = 5000;
    settings.concurrency.initial = 4;
    settings.concurrency.max = 4;
    engine_ = std::make_unique<DeliveryEngine>(
        settings, std::move(builder),
        std::make_unique<ScriptedHttp>(&responder_, &requests_, &hold_responses_), clock_, random_, metrics);
  }

  void submit(const std::string& user, const std::string& id, size_t padding = 0) {
    pipeline::Output item;
    item.key = user;
    item.payload = "{\"id\":\"" + id + "\",\"pad\":\"" + std::string(padding, 'x') + "\"}";
    engine_->submit(std::move(item));
  }

  // Polls, advancing the clock by `step` each time, until `outcomes_` holds
  // `count` outcomes or `budget` polls have run.
  void run_until(size_t count, std::chrono::milliseconds step = 10ms, int budget = 100000) {
    for (int i = 0; i < budget && outcomes_.size() < count; ++i) {
      engine_->poll(outcomes_);
      clock_.advance(step);
    }
  }

  std::map<std::string, const pipeline::Outcome*> by_id() const {
    std::map<std::string, const pipeline::Outcome*> result;
    for (const auto& outcome : outcomes_) {
      const std::string& payload = outcome.payload;
      const size_t start = payload.find("\"id\":\"") + 6;
      result[payload.substr(start, payload.find('"', start) - start)] = &outcome;
    }
    return result;
  }

  ManualClock clock_;
  FixedRandom random_;
  ScriptedHttp::Responder responder_ = [](const HttpRequest&) { return status(200); };
  std::vector<HttpRequest> requests_;
  std::vector<pipeline::Outcome> outcomes_;
  std::unique_ptr<DeliveryEngine> engine_;
  bool hold_responses_ = false;

  // What the engine asks the pipeline's one wait for, as of now.
  std::optional<Clock::time_point> wake_time() {
    util::WaitSet wait;
    wait.reset(clock_.now());
    engine_->add_wait(wait);
    return wait.deadline();
  }
};

// The engine's part of the pipeline's wait: when the loop must wake for it.

TEST_F(DeliveryEngineTest, WaitWithNothingQueuedHasNoDeadline) {
  make_engine(500, 100);
  EXPECT_FALSE(wake_time().has_value());
  engine_->poll(outcomes_);
  EXPECT_FALSE(wake_time().has_value());
}

TEST_F(DeliveryEngineTest, WaitForAPartialBatchEndsAtItsLinger) {
  make_engine(500, 100);
  const auto submitted = clock_.now();
  submit("a", "a1");
  EXPECT_EQ(wake_time(), submitted + 100ms);
  clock_.advance(30ms);
  submit("b", "b1");  // the oldest item decides
  engine_->poll(outcomes_);
  EXPECT_TRUE(requests_.empty());
  EXPECT_EQ(wake_time(), submitted + 100ms);
  clock_.advance(70ms);
  engine_->poll(outcomes_);
  EXPECT_EQ(requests_.size(), 1u) << "sent when the wait said";
}

TEST_F(DeliveryEngineTest, WaitForAFullBatchIsNow) {
  make_engine(2, 100);
  submit("a", "a1");
  submit("b", "b1");
  EXPECT_EQ(wake_time(), clock_.now());
}

TEST_F(DeliveryEngineTest, WaitForARetryEndsAtItsBackoff) {
  make_engine(1, 0);
  responder_ = [](const HttpRequest&) { return status(503); };
  submit("a", "a1");
  engine_->poll(outcomes_);  // sent, answered 503: waits for its backoff
  ASSERT_EQ(requests_.size(), 1u);
  const auto wake = wake_time();
  ASSERT_TRUE(wake.has_value());
  ASSERT_GT(*wake, clock_.now()) << "a retry waiting for its backoff must not wake the loop now";
  clock_.advance(std::chrono::duration_cast<std::chrono::milliseconds>(*wake - clock_.now()) - 1ms);
  engine_->poll(outcomes_);
  EXPECT_EQ(requests_.size(), 1u);
  clock_.advance(1ms);
  engine_->poll(outcomes_);
  EXPECT_EQ(requests_.size(), 2u) << "retried when the wait said";
}

TEST_F(DeliveryEngineTest, WaitAtTheConcurrencyLimitLeavesItToResponses) {
  make_engine(1, 0);  // concurrency 4
  hold_responses_ = true;
  for (int i = 0; i < 5; ++i) submit("user" + std::to_string(i), "e" + std::to_string(i));
  engine_->poll(outcomes_);
  ASSERT_EQ(requests_.size(), 4u);
  // A fifth batch is ready, but only a response can free a slot, and a
  // response wakes the wait through the HTTP client's sockets: no timer.
  EXPECT_FALSE(wake_time().has_value());
  hold_responses_ = false;
  engine_->poll(outcomes_);
  EXPECT_EQ(wake_time(), clock_.now()) << "slots free, the fifth batch is due now";
}

// A destination's API limits come from its request builder, whatever the
// batch settings say: Spideo takes one interaction per request.
TEST_F(DeliveryEngineTest, SpideoSendsOneEventPerRequestWhateverTheBatchSettings) {
  destinations::spideo::SpideoSettings spideo;
  spideo.api_key = "k";
  make_engine(/*max_events=*/500, /*linger_ms=*/100, nullptr,
              std::make_unique<destinations::spideo::SpideoRequestBuilder>(spideo));
  for (const char* user : {"a", "b", "c"}) {
    pipeline::Output item;
    item.key = user;
    item.payload = R"({"method":"POST","url":"http://127.0.0.1:1/x","body":{"user":")" +
                   std::string(user) + R"("}})";
    engine_->submit(std::move(item));
  }
  engine_->poll(outcomes_);  // no linger: a one-event batch is full
  EXPECT_EQ(requests_.size(), 3u);
  for (const HttpRequest& request : requests_) {
    EXPECT_EQ(request.body.find("},{"), std::string::npos) << request.body;
  }
  EXPECT_EQ(outcomes_.size(), 3u);
}

TEST_F(DeliveryEngineTest, PartialBatchWaitsForLingerThenGoesAsOneRequest) {
  make_engine(500, 100);
  submit("a", "a1");
  submit("b", "b1");
  submit("c", "c1");
  engine_->poll(outcomes_);
  EXPECT_TRUE(requests_.empty()) << "sent before linger_ms";
  clock_.advance(100ms);
  run_until(3);
  ASSERT_EQ(requests_.size(), 1u);
  EXPECT_EQ(requests_[0].method, "POST");
  EXPECT_EQ(requests_[0].url, "http://127.0.0.1:1/v1/events?api_key=test%20secret%2Fkey");
  EXPECT_EQ(requests_[0].body.rfind("{\"data\":[", 0), 0u);
  ASSERT_EQ(outcomes_.size(), 3u);
  for (const auto& outcome : outcomes_) EXPECT_TRUE(delivered(outcome));
  EXPECT_EQ(engine_->pending(), 0u);
}

TEST_F(DeliveryEngineTest, FullBatchGoesWithoutWaitingForLinger) {
  make_engine(2, 10000);
  submit("a", "a1");
  submit("b", "b1");
  engine_->poll(outcomes_);
  EXPECT_EQ(requests_.size(), 1u);
}

TEST_F(DeliveryEngineTest, ServerErrorIsRetriedAndLaterEventsOfTheUserWait) {
  make_engine(500, 0);
  int calls = 0;
  responder_ = [&](const HttpRequest&) { return status(++calls == 1 ? 500 : 200); };
  submit("a", "a1");
  engine_->poll(outcomes_);  // a1 sent, answered 500
  engine_->poll(outcomes_);
  ASSERT_EQ(requests_.size(), 1u);
  submit("a", "a2");  // must not overtake a1's retry
  submit("b", "b1");  // another user flows freely
  engine_->poll(outcomes_);
  ASSERT_EQ(requests_.size(), 2u);
  EXPECT_EQ(requests_[1].body.find("a2"), std::string::npos);
  EXPECT_NE(requests_[1].body.find("b1"), std::string::npos);
  run_until(3);
  ASSERT_EQ(outcomes_.size(), 3u);
  for (const auto& outcome : outcomes_) EXPECT_TRUE(delivered(outcome));
  // a1 was delivered (on its retry) before a2 was ever sent.
  const auto a1_request = std::find_if(requests_.begin() + 2, requests_.end(), [](auto& r) {
    return r.body.find("a1") != std::string::npos;
  });
  const auto a2_request = std::find_if(requests_.begin(), requests_.end(), [](auto& r) {
    return r.body.find("a2") != std::string::npos;
  });
  EXPECT_LT(a1_request - requests_.begin(), a2_request - requests_.begin());
  EXPECT_EQ(engine_->stats().retries, 1u);
}

TEST_F(DeliveryEngineTest, RetryAfterIsHonoured) {
  make_engine(500, 0);
  int calls = 0;
  responder_ = [&](const HttpRequest&) {
    return ++calls == 1 ? status(429, std::string("2")) : status(200);
  };
  submit("a", "a1");
  engine_->poll(outcomes_);
  engine_->poll(outcomes_);
  clock_.advance(1999ms);
  engine_->poll(outcomes_);
  EXPECT_EQ(requests_.size(), 1u) << "retried before Retry-After";
  clock_.advance(1ms);
  run_until(1);
  EXPECT_EQ(requests_.size(), 2u);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_TRUE(delivered(outcomes_[0]));
}

TEST_F(DeliveryEngineTest, BadRequestIsBisectedUntilOnlyTheBadEventIsDeadLettered) {
  make_engine(500, 0);
  responder_ = [](const HttpRequest& request) {
    return status(request.body.find("\"bad\"") != std::string::npos ? 400 : 200);
  };
  for (int i = 0; i < 16; ++i) submit("u" + std::to_string(i), i == 11 ? "bad" : "e" + std::to_string(i));
  run_until(16, 1ms);
  ASSERT_EQ(outcomes_.size(), 16u);
  const auto outcomes = by_id();
  for (const auto& [id, outcome] : outcomes) {
    if (id == "bad") {
      EXPECT_FALSE(delivered(*outcome));
      EXPECT_EQ(outcome->error.reason, Reason::kRejectedByDestination);
      EXPECT_EQ(outcome->error.stage, Stage::kDeliver);
      EXPECT_EQ(outcome->error.http_status, 400);
      EXPECT_NE(outcome->error.message.find("nope"), std::string::npos);  // trimmed body
    } else {
      EXPECT_TRUE(delivered(*outcome)) << id;
    }
  }
  // log2(16) levels of halves: far fewer requests than one per event.
  EXPECT_LE(requests_.size(), 10u);
  EXPECT_GT(engine_->stats().splits, 0u);
}

TEST_F(DeliveryEngineTest, PayloadTooLargeSplitsAndASingleEventIsDeadLettered) {
  make_engine(500, 0);
  responder_ = [](const HttpRequest& request) {
    return status(request.body.size() > 600 ? 413 : 200);
  };
  submit("a", "a1", 100);
  submit("b", "b1", 100);
  submit("c", "c1", 100);
  submit("d", "huge", 700);
  run_until(4, 1ms);
  const auto outcomes = by_id();
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_TRUE(delivered(*outcomes.at("a1")));
  EXPECT_TRUE(delivered(*outcomes.at("c1")));
  EXPECT_FALSE(delivered(*outcomes.at("huge")));
  EXPECT_EQ(outcomes.at("huge")->error.reason, Reason::kEventTooLarge);
}

TEST_F(DeliveryEngineTest, EventLargerThanAnyRequestIsDeadLetteredWithoutSending) {
  make_engine(500, 0);
  submit("a", "enormous", 5000);  // max_bytes is 4096
  run_until(1);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_FALSE(delivered(outcomes_[0]));
  EXPECT_EQ(outcomes_[0].error.reason, Reason::kEventTooLarge);
  EXPECT_TRUE(requests_.empty());
}

// An event rejected at submit was never queued: failing it must not count
// as one of its user's events coming back.
TEST_F(DeliveryEngineTest, EventTooLargeDoesNotReleaseItsUsersBatchInRetry) {
  make_engine(500, 0);
  int calls = 0;
  responder_ = [&](const HttpRequest&) { return status(++calls == 1 ? 500 : 200); };
  submit("a", "a1");
  engine_->poll(outcomes_);  // a1 sent, answered 500: a is busy until its retry
  submit("a", "enormous", 5000);
  submit("a", "a2");
  engine_->poll(outcomes_);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].error.reason, Reason::kEventTooLarge);
  EXPECT_EQ(requests_.size(), 1u);  // a2 waits for a1's retry
  run_until(3);
  ASSERT_EQ(outcomes_.size(), 3u);
  ASSERT_EQ(requests_.size(), 3u);
  EXPECT_NE(requests_[1].body.find("a1"), std::string::npos);
  EXPECT_NE(requests_[2].body.find("a2"), std::string::npos);
}

TEST_F(DeliveryEngineTest, EventTooLargeOfAQueuedUserLeavesTheQueueFlowing) {
  make_engine(500, 100);
  submit("a", "a1");  // queued, lingering
  submit("a", "enormous", 5000);
  submit("b", "b1");
  run_until(3);
  ASSERT_EQ(outcomes_.size(), 3u);
  const auto outcomes = by_id();
  EXPECT_TRUE(delivered(*outcomes.at("a1")));
  EXPECT_TRUE(delivered(*outcomes.at("b1")));
  EXPECT_EQ(outcomes.at("enormous")->error.reason, Reason::kEventTooLarge);
  EXPECT_EQ(engine_->pending(), 0u);
}

TEST_F(DeliveryEngineTest, UnauthorizedIsHeldNeverDeadLetteredAndResumes) {
  make_engine(500, 0);
  bool key_fixed = false;
  responder_ = [&](const HttpRequest&) { return status(key_fixed ? 200 : 401); };
  submit("a", "a1");
  // Far past max_retry_duration_s (60 s): still held, never dead-lettered.
  for (int i = 0; i < 40; ++i) {
    engine_->poll(outcomes_);
    clock_.advance(5000ms);
  }
  EXPECT_TRUE(outcomes_.empty());
  EXPECT_TRUE(engine_->auth_failing());
  EXPECT_GE(requests_.size(), 10u);
  key_fixed = true;
  run_until(1, 1000ms);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_TRUE(delivered(outcomes_[0]));
  EXPECT_FALSE(engine_->auth_failing());
}

TEST_F(DeliveryEngineTest, RetryingPastMaxRetryDurationDeadLettersWithTheLastStatus) {
  make_engine(500, 0);
  responder_ = [](const HttpRequest&) { return status(503); };
  submit("a", "a1");
  run_until(1, 500ms);
  ASSERT_EQ(outcomes_.size(), 1u);
  const pipeline::Outcome& outcome = outcomes_[0];
  EXPECT_FALSE(delivered(outcome));
  EXPECT_EQ(outcome.error.reason, Reason::kRetriesExhausted);
  EXPECT_EQ(outcome.error.http_status, 503);
  EXPECT_GT(outcome.error.attempts, 1);
  EXPECT_GE(outcome.last_attempt_ms - outcome.first_attempt_ms, 60000);
}

TEST_F(DeliveryEngineTest, SecretsEchoedInAResponseBodyNeverReachTheOutcome) {
  make_engine(500, 0);
  responder_ = [](const HttpRequest& request) {
    HttpResponse response = status(422);
    // A destination that echoes the request URL and the raw key in its error.
    response.body = "bad request " + request.url + " key=test secret/key";
    return response;
  };
  submit("a", "a1");
  run_until(1);
  ASSERT_EQ(outcomes_.size(), 1u);
  const std::string& message = outcomes_[0].error.message;
  EXPECT_EQ(message.find("test secret/key"), std::string::npos) << message;
  EXPECT_EQ(message.find("test%20secret%2Fkey"), std::string::npos) << message;
  EXPECT_NE(message.find("[REDACTED]"), std::string::npos) << message;
  // Nor any header of its dead letter.
  kafka_sinks::DeadLetter letter;
  letter.error = outcomes_[0].error;
  letter.destination = engine_->name();
  for (const auto& [name, value] : kafka_sinks::dead_letter_headers(letter)) {
    EXPECT_EQ(value.find("secret"), std::string::npos) << name << ": " << value;
    EXPECT_EQ(value.find("%2F"), std::string::npos) << name << ": " << value;
  }
}

TEST_F(DeliveryEngineTest, TransportErrorsAreCountedByKindAndLoggedWithCurlsMessage) {
  obs::Metrics metrics("t");
  obs::DeliveryMetrics& vidora = metrics.delivery("vidora");
  std::vector<std::string> lines;
  obs::set_log_sink([&](std::string_view line) { lines.emplace_back(line); });
  obs::set_log_rate_limit(1000, 60s);
  make_engine(500, 0, &vidora);
  responder_ = [](const HttpRequest&) {
    HttpResponse response = status(0);
    response.transport_error_kind = TransportErrorKind::kTls;
    // A message that (against the client's rules) still carries the key.
    response.transport_error = "SSL certificate problem: unable to get local issuer certificate "
                               "test secret/key";
    return response;
  };
  submit("a", "a1");
  for (int i = 0; i < 20; ++i) {
    engine_->poll(outcomes_);
    clock_.advance(1s);
  }
  obs::set_log_sink({});
  obs::set_log_rate_limit(10, 60s);
  EXPECT_GE(requests_.size(), 2u);
  EXPECT_EQ(vidora.transport_error(TransportErrorKind::kTls).Value(),
            static_cast<double>(requests_.size()));
  EXPECT_EQ(vidora.transport_error(TransportErrorKind::kConnect).Value(), 0);
  EXPECT_TRUE(outcomes_.empty()) << "a transport error is retried, never dead-lettered early";
  ASSERT_FALSE(lines.empty());
  const std::string& line = lines.front();
  EXPECT_NE(line.find(R"("msg":"destination transport error")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("kind":"tls")"), std::string::npos) << line;
  EXPECT_NE(line.find("SSL certificate problem: unable to get local issuer"), std::string::npos)
      << line;
  EXPECT_EQ(line.find("test secret/key"), std::string::npos) << line;
}

TEST_F(DeliveryEngineTest, OtherClientErrorsAreDeadLetteredAtOnce) {
  make_engine(500, 0);
  responder_ = [](const HttpRequest&) { return status(404); };
  submit("a", "a1");
  submit("b", "b1");
  run_until(2);
  ASSERT_EQ(outcomes_.size(), 2u);
  for (const auto& outcome : outcomes_) {
    EXPECT_FALSE(delivered(outcome));
    EXPECT_EQ(outcome.error.reason, Reason::kClientError);
    EXPECT_EQ(outcome.error.attempts, 1);
  }
  EXPECT_EQ(requests_.size(), 1u);
}

}  // namespace
}  // namespace cdp_relay::delivery
