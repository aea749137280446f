// A minimal Vidora sink for the end-to-end benchmark (bench/e2e.cc), run as a
// process of its own so that its CPU is visible apart from the relay's.
//
//   e2e_sink [--port N] [--threads N] [--latency-ms N]
//                                          prints "listening <port>" on stdout
//
// --latency-ms N: each POST is answered N ms after it arrived, like a remote
// destination's round trip. cpp-httplib's handlers are synchronous (no way to
// answer later from another thread), so a waiting request holds its worker
// thread: --threads must cover the requests in flight (the relay's
// concurrency.max), which keep-alive needs anyway (a connection per worker).
//
// It is a cpp-httplib server like the emulator (`cdp-relay emulate`), minus
// everything that costs: no JSON parse, no schema validation, no recording, no
// API key check. For each POST /v1/events it only scans the body for
// `"timestamp":<digits>` (the relay is configured with timestamp_format
// unix_ms; reserved keys are unique in a flat Vidora event, a colliding
// property would be `prop_timestamp`), counts one event per match and, while
// latency recording is on, adds (receive time - event timestamp) to a
// 1 ms-resolution histogram. It answers 200 {"accepted":N}.
//
//   GET  /stats          {"requests":..,"events":..,"bytes":..,"latency":{count,p50_ms,..}}
//   POST /latency/reset  clears the latency histogram and turns recording on
#include <httplib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

namespace {

constexpr size_t kLatencyBuckets = 120'000;  // 1 ms each, up to 120 s; the last is overflow

struct Stats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> recording{false};
  std::array<std::atomic<uint64_t>, kLatencyBuckets> latency_ms{};
};

Stats g_stats;
int g_latency_ms = 0;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void handle_events(const httplib::Request& req, httplib::Response& res) {
  const int64_t now = wall_ms();
  const bool recording = g_stats.recording.load(std::memory_order_relaxed);
  static constexpr std::string_view kKey = "\"timestamp\":";
  const std::string_view body = req.body;
  uint64_t events = 0;
  for (size_t at = body.find(kKey); at != std::string_view::npos; at = body.find(kKey, at)) {
    at += kKey.size();
    int64_t timestamp = 0;
    while (at < body.size() && body[at] >= '0' && body[at] <= '9') {
      timestamp = timestamp * 10 + (body[at] - '0');
      ++at;
    }
    ++events;
    if (recording) {
      int64_t latency = now - timestamp;
      if (latency < 0) latency = 0;
      const size_t bucket = latency >= static_cast<int64_t>(kLatencyBuckets)
                                ? kLatencyBuckets - 1
                                : static_cast<size_t>(latency);
      g_stats.latency_ms[bucket].fetch_add(1, std::memory_order_relaxed);
    }
  }
  g_stats.requests.fetch_add(1, std::memory_order_relaxed);
  g_stats.events.fetch_add(events, std::memory_order_relaxed);
  g_stats.bytes.fetch_add(body.size(), std::memory_order_relaxed);
  if (g_latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(g_latency_ms));
  res.set_content("{\"accepted\":" + std::to_string(events) + "}", "application/json");
}

std::string stats_json() {
  uint64_t count = 0;
  for (const auto& bucket : g_stats.latency_ms) count += bucket.load(std::memory_order_relaxed);
  auto quantile = [&](double q) -> int64_t {
    if (count == 0) return -1;
    const uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
      seen += g_stats.latency_ms[i].load(std::memory_order_relaxed);
      if (seen >= rank) return static_cast<int64_t>(i);
    }
    return static_cast<int64_t>(kLatencyBuckets - 1);
  };
  int64_t max_ms = -1;
  for (size_t i = kLatencyBuckets; i-- > 0;) {
    if (g_stats.latency_ms[i].load(std::memory_order_relaxed) != 0) {
      max_ms = static_cast<int64_t>(i);
      break;
    }
  }
  char buffer[512];
  std::snprintf(buffer, sizeof buffer,
                "{\"requests\":%llu,\"events\":%llu,\"bytes\":%llu,\"latency\":{\"count\":%llu,"
                "\"p50_ms\":%lld,\"p99_ms\":%lld,\"p999_ms\":%lld,\"max_ms\":%lld}}",
                static_cast<unsigned long long>(g_stats.requests.load()),
                static_cast<unsigned long long>(g_stats.events.load()),
                static_cast<unsigned long long>(g_stats.bytes.load()),
                static_cast<unsigned long long>(count), static_cast<long long>(quantile(0.50)),
                static_cast<long long>(quantile(0.99)), static_cast<long long>(quantile(0.999)),
                static_cast<long long>(max_ms));
  return buffer;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int threads = 64;  // the relay keeps up to concurrency.max (64) keep-alive connections
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--latency-ms") == 0) g_latency_ms = std::atoi(argv[i + 1]);
  }
  std::signal(SIGPIPE, SIG_IGN);
  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Without it, the response's header and body segments meet the client's
  // delayed ACK: ~40 ms per request (measured: 51 ms mean at 500 events).
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(1'000'000);
  server.set_keep_alive_timeout(60);
  server.set_payload_max_length(16u << 20);
  server.Post("/v1/events", handle_events);
  server.Get("/stats", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(stats_json(), "application/json");
  });
  server.Post("/latency/reset", [](const httplib::Request&, httplib::Response& res) {
    g_stats.recording = false;
    for (auto& bucket : g_stats.latency_ms) bucket.store(0, std::memory_order_relaxed);
    g_stats.recording = true;
    res.set_content("{}", "application/json");
  });
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port <= 0) {
    std::fprintf(stderr, "e2e_sink: cannot bind\n");
    return 1;
  }
  std::printf("listening %d\n", port);
  std::fflush(stdout);
  server.listen_after_bind();  // until SIGTERM ends the process
  return 0;
}
