// The HTTP delivery engine's CPU per event, without the network: what the
// pipeline thread spends between submit() and the outcome, per event.
//
//   build/bench/delivery_bench --benchmark_repetitions=5
//
// The engine's instructions per event, the same every run (divide by N):
//   DELIVERY_BENCH_EVENTS=200000 valgrind --tool=callgrind
//     --toggle-collect='cdp_relay::delivery::DeliveryEngine::submit*'
//     --toggle-collect='cdp_relay::delivery::DeliveryEngine::poll*'
//     build/bench/delivery_bench --benchmark_filter=DeliveryEngine/5000/
//
// A stream of ~500 B encoded events, each keyed by one of `users` users drawn
// uniformly with a fixed seed (the same stream every run), goes through:
//   Queue    the UserOrderedQueue alone, driven as the engine drives it: a
//            poll every 100 events, which releases every item of the
//            batches taken two polls before, then takes full batches of
//            500, and a partial one every 50th poll (the linger); users
//            really are busy, and held back, meanwhile
//   Engine   a DeliveryEngine with Vidora's request builder (batch 500,
//            linger 50 ms), metrics on, and an in-process HTTP client that
//            answers 200 two polls after a request starts; a poll every
//            100 submits, the clock 1 ms further each poll (100k events/s
//            of simulated time)
// One iteration is one event.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cdp_relay/clock.h"
#include "delivery/delivery_engine.h"
#include "delivery/user_ordered_queue.h"
#include "destinations/vidora/vidora_config.h"
#include "destinations/vidora/vidora_request_builder.h"
#include "obs/metrics.h"

namespace {

using namespace cdp_relay;
using namespace std::chrono_literals;

constexpr size_t kBatchEvents = 500;
constexpr size_t kBatchBytes = 512 * 1024;
constexpr size_t kSubmitsPerPoll = 100;
constexpr int64_t kLingerPolls = 50;  // one poll per simulated ms
constexpr int64_t kResponseDelayPolls = 2;

// The stream: user keys, the sequence of which user sends each event, and one
// ~500 B payload (its bytes do not matter to the engine, only their count).
struct Stream {
  explicit Stream(size_t users) {
    for (size_t user = 0; user < users; ++user) {
      // Key lengths like real ids: past the small-string buffer.
      keys.push_back("user-" + std::to_string(user) + "-3f2a9c1e-7b4d-4e8f");
    }
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < kSequence; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      sequence.push_back(static_cast<uint32_t>((state >> 33) % users));
    }
    payload = "{\"event\":\"video_play\",\"user_id\":\"user-0\",\"timestamp\":"
              "\"2026-11-29T10:00:00.000Z\",\"properties\":{";
    while (payload.size() < 480) payload += "\"p" + std::to_string(payload.size()) + "\":\"value\",";
    payload += "\"end\":1}}";
  }
  const std::string& key(size_t i) const { return keys[sequence[i % kSequence]]; }

  static constexpr size_t kSequence = 1 << 16;
  std::vector<std::string> keys;
  std::vector<uint32_t> sequence;
  std::string payload;
};

void BM_UserOrderedQueue(benchmark::State& state) {
  const Stream stream(static_cast<size_t>(state.range(0)));
  delivery::UserOrderedQueue queue;
  const delivery::UserOrderedQueue::time_point now{};
  const auto no_framing = [](size_t) { return size_t{0}; };
  // Batches in flight, by the poll that took them.
  std::deque<std::pair<int64_t, std::vector<delivery::DeliveryItem>>> in_flight;
  int64_t polls = 0;
  size_t i = 0;
  for (auto _ : state) {
    delivery::DeliveryItem item;
    item.payload = stream.payload;
    item.user_key = stream.key(i);
    queue.push(std::move(item), now);
    if (++i % kSubmitsPerPoll != 0) continue;
    ++polls;
    while (!in_flight.empty() && in_flight.front().first + kResponseDelayPolls <= polls) {
      for (const delivery::DeliveryItem& done : in_flight.front().second) queue.release(done, now);
      in_flight.pop_front();
    }
    // Full batches at once, a partial one when its linger is over.
    while (queue.ready_items() >= kBatchEvents ||
           (queue.ready_items() > 0 && polls % kLingerPolls == 0)) {
      in_flight.emplace_back(polls, std::vector<delivery::DeliveryItem>());
      queue.take_batch(kBatchEvents, kBatchBytes, no_framing, in_flight.back().second);
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Answers every request with 200 after kResponseDelayPolls polls.
class AnsweringHttp final : public delivery::HttpClient {
 public:
  void start(uint64_t ticket, delivery::HttpRequest request) override {
    benchmark::DoNotOptimize(request.body.data());
    started_.push_back({ticket, polls_ + kResponseDelayPolls});
  }
  void poll(std::chrono::milliseconds, std::vector<std::pair<uint64_t, delivery::HttpResponse>>& done)
      override {
    ++polls_;
    while (!started_.empty() && started_.front().answer_at <= polls_) {
      delivery::HttpResponse response;
      response.status = 200;
      response.body = "{}";
      response.elapsed = 20ms;
      done.emplace_back(started_.front().ticket, std::move(response));
      started_.pop_front();
    }
  }
  size_t active() const override { return started_.size(); }

 private:
  struct Started {
    uint64_t ticket;
    int64_t answer_at;
  };
  std::deque<Started> started_;
  int64_t polls_ = 0;
};

class FixedRandom final : public Random {
 public:
  double uniform() override { return 0.5; }
};

void BM_DeliveryEngine(benchmark::State& state) {
  const Stream stream(static_cast<size_t>(state.range(0)));
  obs::Metrics metrics("bench");
  ManualClock clock;
  FixedRandom random;
  destinations::vidora::VidoraSettings vidora;
  vidora.api_key = "bench-key";
  vidora.base_url = "http://127.0.0.1:1";
  delivery::EngineSettings settings;
  settings.destination = "vidora";
  settings.batch.max_events = kBatchEvents;
  settings.batch.linger_ms = kLingerPolls;
  settings.concurrency.initial = 64;
  settings.concurrency.max = 64;
  delivery::DeliveryEngine engine(
      settings, std::make_unique<destinations::vidora::VidoraRequestBuilder>(vidora),
      std::make_unique<AnsweringHttp>(), clock, random, &metrics.delivery("vidora"));
  std::vector<pipeline::Outcome> outcomes;
  // Payload buffers come back with their outcomes, as in the pipeline.
  std::vector<std::string> spare_payloads;
  size_t i = 0;
  for (auto _ : state) {
    pipeline::Output output;
    if (!spare_payloads.empty()) {
      output.payload = std::move(spare_payloads.back());
      spare_payloads.pop_back();
    }
    output.payload = stream.payload;
    output.key.emplace(stream.key(i));
    output.event_time_ms = clock.wall_ms();
    engine.submit(std::move(output));
    if (++i % kSubmitsPerPoll != 0) continue;
    engine.poll(outcomes);
    clock.advance(1ms);
    for (pipeline::Outcome& outcome : outcomes) spare_payloads.push_back(std::move(outcome.payload));
    outcomes.clear();
  }
  if (engine.stats().dead_lettered != 0) state.SkipWithError("events were dead-lettered");
  state.SetItemsProcessed(state.iterations());
}
}  // namespace

int main(int argc, char** argv) {
  // DELIVERY_BENCH_EVENTS=N runs exactly N events per benchmark (for
  // callgrind's instruction counts, which need the same work every run).
  const char* events = std::getenv("DELIVERY_BENCH_EVENTS");
  for (auto* bench : {benchmark::RegisterBenchmark("BM_UserOrderedQueue", BM_UserOrderedQueue),
                      benchmark::RegisterBenchmark("BM_DeliveryEngine", BM_DeliveryEngine)}) {
    bench->Arg(300)->Arg(5000)->Arg(50000);
    if (events != nullptr) bench->Iterations(std::stoll(events));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
