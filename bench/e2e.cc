// End-to-end benchmark (README "Benchmarks"):
//   mock-cluster consume -> relay -> local HTTP sink -> committed offsets.
//
//   scripts/bench-e2e.sh [--smoke] [--out FILE] [options below]
//
// Processes (so that each one's CPU and memory are visible on its own):
//  - this harness: the librdkafka mock cluster (3 brokers, --partitions), the
//    producer, the /metrics scraper and, at the end, the raw consumer;
//  - the relay: `cdp-relay run -c <generated config>`, a child process; with
//    --relays N, N of them in the same consumer group, each with its own
//    admin port, all delivering to the same sink (the figures are summed over
//    the instances, and each instance's cost is reported on its own);
//  - the sink: bench/e2e_sink (or `cdp-relay emulate --no-validate` with
//    --sink-kind emulate), a child process.
//
// Input: half the messages are ~500 B Segment tracks from
// tests/fixtures/mixed/small_tracks.jsonl, half come from app::DemoEventGenerator
// (Segment track/page/identify, Segment batches of 3-5 tracks, mParticle
// batches of 2-4 events; --malformed sets its malformed ratio, default 0, but
// one Segment batch in 50 carries one item with no identity, which the relay
// dead-letters). Every event timestamp is rewritten to the produce time, so
// the relay's end-to-end histogram and the sink's receive-time latency both
// measure produce -> delivery. The producer stays at most --max-ahead messages
// ahead of what the relay consumed (the mock keeps only ~5 MB per partition).
//
// Phases:
//  1. warm-up: the group forms (every partition owned, and every member
//     owning one while there are enough partitions; after 60 s, a warning)
//     before anything is produced; then the producer runs flat out until the
//     relays have delivered, then --warmup-s more (connection pool, AIMD
//     ramp-up);
//  2. max: flat out for --max-s; steady-state delivered and committed
//     events/s are the counter deltas over this window (scraped from the
//     relay's /metrics every 100 ms; committed events are exact: the producer
//     records the event count of every offset it produced);
//  3. latency: the producer paced at --load (0.5) x the measured max for
//     --latency-s, after the backlog has drained; p50/p99/p99.9 from the sink's
//     receive time minus the event timestamp (1 ms resolution), and, as a
//     cross-check, from the delta of cdp_relay_end_to_end_latency_seconds
//     (bucket bounds only);
//  4. drain and reconcile: produced = delivered + dead-lettered + skipped, and
//     the committed offsets reach the end of every partition; then SIGTERM;
//  5. raw consume (relay stopped): a plain librdkafka consumer doing nothing,
//     (a) re-reading what the mock still retains from the start of each
//     partition, pass after pass ("raw reread", the consume ceiling), and
//     (b) at the head while the producer runs flat out ("raw live", which also
//     shows the producer's own ceiling).
//
// Figures are wall-clock based and noisy on a shared machine: the load
// average is recorded with each phase.
#include <fcntl.h>
#include <httplib.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/demo_events.h"
#include "app/mock_cluster.h"
#include "model/timestamp.h"
#include "util/rdkafka_conf.h"

namespace {

using namespace std::chrono_literals;
using cdp_relay::app::DemoEventGenerator;
using cdp_relay::app::DemoMessage;
using cdp_relay::app::MockCluster;

constexpr const char* kTopic = "bench-events";
constexpr const char* kDeadLetterTopic = "bench-events.dlq";
constexpr const char* kApiKey = "bench-api-key";

struct Options {
  int partitions = 8;
  int brokers = 3;
  double warmup_s = 5;
  double max_s = 20;
  double latency_s = 15;
  double raw_s = 5;
  double load = 0.5;
  double malformed = 0.0;
  // How far the producer may run ahead of what the relays consumed (scraped
  // every 100 ms). 0: 5,000 messages per partition, about half of what the
  // mock cluster retains (5 MB per partition, ~590 B per message here) so
  // nothing is dropped before it is read. 20,000 for 8 partitions starved the
  // relay: 97% of its loop steps found no message while the producer waited.
  uint64_t max_ahead = 0;
  int relays = 1;  // relay instances in the one consumer group
  // Paced input: the producer runs at this many events/s through warm-up and
  // the max phase instead of flat out (0). The max phase then measures the
  // relay's CPU per event at that load.
  double rate = 0;
  // Relay CPU with no traffic, measured for this long after the drain.
  double idle_s = 5;
  // The sink answers each POST this long after it arrived (a remote
  // destination's round trip). cpp-httplib's handlers are synchronous, so
  // each waiting request holds a sink worker thread; the pool is sized to
  // the relays' concurrency.max.
  int sink_latency_ms = 0;
  int concurrency_max = 0;  // destinations.vidora.concurrency.max; 0 = the default
  // kafka.consumer.fetch.wait.max.ms. 10 by default here: the mock cluster
  // holds every fetch that finds no data for the whole wait, even when data
  // arrives meanwhile (a real broker answers at once), so the product default
  // (500) would add up to half a second of latency at low rates. Its cost is
  // a fetch per broker every 10 ms when idle.
  int fetch_wait_max_ms = 10;
  uint64_t max_inflight_messages = 0;  // pipeline.max_inflight_messages; 0 = the default
  std::string relay_bin;
  std::string sink_bin;
  std::string sink_kind = "bench";  // bench | emulate
  std::string fixture;
  // The producer's compression.codec. The mock cluster keeps only ~5 MB per
  // partition; compressed message sets hold several times more events, so a
  // relay running behind a slow destination does not fall off the log.
  std::string compression = "none";
  std::string out;
  std::string work_dir;
};

double steady_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string loadavg() {
  std::string text = read_file("/proc/loadavg");
  std::istringstream in(text);
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double proc_cpu_s(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream in(stat.substr(paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long proc_status_kb(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key));
  }
  return -1;
}

double self_cpu_s() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t length = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  close(fd);
  return ntohs(addr.sin_port);
}

// A child process; stdout optionally piped back, stderr to a file.
struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;

  Child() = default;
  Child(const Child&) = delete;  // the destructor stops the process
  Child& operator=(const Child&) = delete;

  void start(const std::vector<std::string>& argv, const std::string& stderr_file,
             bool pipe_stdout) {
    int fds[2] = {-1, -1};
    if (pipe_stdout && pipe(fds) != 0) throw std::runtime_error("pipe");
    pid = fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
      const int err = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) dup2(err, 2);
      if (pipe_stdout) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
      } else if (err >= 0) {
        dup2(err, 1);
      }
      std::vector<char*> args;
      for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    if (pipe_stdout) {
      close(fds[1]);
      out = fdopen(fds[0], "r");
    }
  }
  std::string read_line() {
    char line[512];
    if (out == nullptr || std::fgets(line, sizeof line, out) == nullptr) return "";
    return line;
  }
  // SIGTERM, then SIGKILL after `grace`. Returns the exit status (or -1).
  int stop(std::chrono::milliseconds grace = 30s) {
    terminate();
    return wait(grace);
  }
  void terminate() const {
    if (pid > 0) kill(pid, SIGTERM);
  }
  // Waits for the exit; SIGKILL after `grace`. Returns the exit status (or -1).
  int wait(std::chrono::milliseconds grace = 30s) {
    if (pid <= 0) return -1;
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    pid = -1;
    if (out) std::fclose(out), out = nullptr;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  bool alive() const { return pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0; }
  ~Child() {
    if (pid > 0) stop(2s);
  }
};

// The event count of every produced offset, per partition: turns committed
// offsets and consumed offset ranges into exact event counts.
class Ledger {
 public:
  explicit Ledger(int partitions) : events_(partitions) {}
  void record(int32_t partition, int64_t offset, int events) {
    std::lock_guard lock(mu_);
    auto& column = events_.at(partition);
    if (column.size() <= static_cast<size_t>(offset)) column.resize(offset + 1, 0);
    column[offset] = static_cast<uint8_t>(events);
  }
  // Events at offsets [from, to), and how far the ledger knew (<= to).
  uint64_t events_in(int32_t partition, int64_t from, int64_t& to) {
    std::lock_guard lock(mu_);
    const auto& column = events_.at(partition);
    to = std::min<int64_t>(to, static_cast<int64_t>(column.size()));
    uint64_t total = 0;
    for (int64_t o = std::max<int64_t>(from, 0); o < to; ++o) total += column[o];
    return total;
  }

 private:
  std::mutex mu_;
  std::vector<std::vector<uint8_t>> events_;
};

// The event time fields the feeder sets: Segment `timestamp` and `sentAt`
// (ISO 8601 strings), mParticle `timestamp_unixtime_ms` (a number). Each key
// ends where its value starts.
constexpr std::string_view kIsoTimeKeys[] = {"\"timestamp\":\"", "\"sentAt\":\""};
constexpr std::string_view kMillisTimeKey = "\"timestamp_unixtime_ms\":";

// Overwrites every event time field in `json` with `now`.
void stamp_by_search(std::string& json, int64_t now_ms, const std::string& now_iso) {
  for (std::string_view key : kIsoTimeKeys) {
    for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at)) {
      at += key.size();
      const size_t end = json.find('"', at);
      if (end == std::string::npos) break;
      json.replace(at, end - at, now_iso);
      at += now_iso.size();
    }
  }
  const std::string digits = std::to_string(now_ms);
  for (size_t at = json.find(kMillisTimeKey); at != std::string::npos;
       at = json.find(kMillisTimeKey, at)) {
    at += kMillisTimeKey.size();
    size_t end = at;
    while (end < json.size() && json[end] >= '0' && json[end] <= '9') ++end;
    json.replace(at, end - at, digits);
    at += digits.size();
  }
}

// A message the feeder produces again and again with fresh event times.
// Where the times go is found once: searching each produced message for its
// time fields took a third of the harness's CPU, which shares the two cores
// with the relay under test. Each produce then overwrites fixed-width fields.
class StampedMessage {
 public:
  explicit StampedMessage(DemoMessage message) : message_(std::move(message)) {
    // Rewrite every time field at the widths stamp() writes (24-character ISO 8601,
    // 13-digit milliseconds), then remember where each one starts.
    const int64_t now = wall_ms();
    std::string iso;
    cdp_relay::model::append_iso8601_ms(iso, now);
    stamp_by_search(message_.value, now, iso);
    iso_width_ = iso.size();
    ms_width_ = std::to_string(now).size();
    const std::string& json = message_.value;
    for (std::string_view key : kIsoTimeKeys) {
      for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at)) {
        at += key.size();
        iso_at_.push_back(at);
      }
    }
    for (size_t at = json.find(kMillisTimeKey); at != std::string::npos;
         at = json.find(kMillisTimeKey, at)) {
      at += kMillisTimeKey.size();
      ms_at_.push_back(at);
    }
  }

  // REQUIRES: `iso` and `ms_digits` as wide as at construction (true until
  // the year 2286).
  const DemoMessage& stamp(std::string_view iso, std::string_view ms_digits) {
    if (iso.size() != iso_width_ || ms_digits.size() != ms_width_) {
      throw std::logic_error("timestamp width changed");
    }
    for (size_t at : iso_at_) message_.value.replace(at, iso.size(), iso);
    for (size_t at : ms_at_) message_.value.replace(at, ms_digits.size(), ms_digits);
    return message_;
  }

 private:
  DemoMessage message_;
  size_t iso_width_ = 0, ms_width_ = 0;
  std::vector<size_t> iso_at_, ms_at_;
};

class Feeder {
 public:
  Feeder(const std::string& brokers, std::vector<std::string> fixture, double malformed,
         Ledger& ledger, uint64_t max_ahead, const std::string& compression)
      : ledger_(ledger), max_ahead_(max_ahead) {
    // Half the stream is the fixture's lines, keyed by 5,000 users; half is a
    // pool of generated messages (batches, mParticle, malformed at the given
    // share), produced round-robin.
    for (size_t i = 0; i < fixture.size(); ++i) {
      fixture_.emplace_back(DemoMessage{"", std::move(fixture[i]), 1, 0});
    }
    for (int user = 0; user < kFixtureUsers; ++user) {
      fixture_keys_.push_back("user-" + std::to_string(user));
    }
    DemoEventGenerator generator(42, 5000, malformed);
    for (size_t i = 0; i < kGeneratedPool; ++i) generated_.emplace_back(generator.next());
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
    if (rd_kafka_conf_set(conf, "compression.codec", compression.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      throw std::runtime_error(std::string("--compression: ") + errstr);
    }
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "200000", errstr, sizeof errstr);
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &Feeder::on_delivery);
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (producer_ == nullptr) throw std::runtime_error(std::string("producer: ") + errstr);
  }
  ~Feeder() {
    stop();
    rd_kafka_flush(producer_, 10000);
    rd_kafka_destroy(producer_);
  }

  // rate_eps 0 = as fast as possible (within max_ahead of `consumed`).
  void start(double rate_eps) {
    stop();
    stop_ = false;
    rate_eps_ = rate_eps;
    thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    rd_kafka_flush(producer_, 10000);
  }

  std::atomic<uint64_t> consumed{0};  // messages the current reader has consumed
  std::atomic<uint64_t> messages{0};  // produced (enqueued)
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> acked_messages{0};
  std::atomic<uint64_t> acked_events{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<double> blocked_s{0};  // time spent waiting on max_ahead (the reader is slower)

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<Feeder*>(opaque);
    const int events = static_cast<int>(reinterpret_cast<intptr_t>(message->_private));
    if (message->err) {
      ++self->failed;
      return;
    }
    self->ledger_.record(message->partition, message->offset, events);
    ++self->acked_messages;
    self->acked_events += events;
  }

  void loop() {
    const double started = steady_s();
    uint64_t phase_events = 0;
    int64_t stamped_ms = 0;
    std::string iso, ms_digits;
    std::mt19937_64 random(7);
    uint64_t sequence = 0, generated_index = 0;
    while (!stop_) {
      if (messages - consumed.load() > max_ahead_) {
        const double t = steady_s();
        rd_kafka_poll(producer_, 1);
        blocked_s = blocked_s + (steady_s() - t);
        continue;
      }
      if (rate_eps_ > 0 && static_cast<double>(phase_events) >= rate_eps_ * (steady_s() - started)) {
        rd_kafka_poll(producer_, 1);
        continue;
      }
      const int64_t now = wall_ms();
      if (now != stamped_ms) {
        stamped_ms = now;
        iso.clear();
        cdp_relay::model::append_iso8601_ms(iso, now);
        ms_digits = std::to_string(now);
      }
      const DemoMessage* picked;
      std::string_view key;
      if (random() % 2 == 0) {
        picked = &fixture_[sequence % fixture_.size()].stamp(iso, ms_digits);
        key = fixture_keys_[sequence % fixture_keys_.size()];
      } else {
        picked = &generated_[generated_index++ % generated_.size()].stamp(iso, ms_digits);
        key = picked->key;
      }
      const DemoMessage& message = *picked;
      ++sequence;
      rd_kafka_resp_err_t err;
      do {
        err = rd_kafka_producev(
            producer_, RD_KAFKA_V_TOPIC(kTopic),
            RD_KAFKA_V_KEY(key.data(), key.size()),
            // F_COPY: librdkafka copies the bytes and never writes through the pointer.
            RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<intptr_t>(message.events))),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer_, 5);
      } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !stop_);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      rd_kafka_poll(producer_, 0);
      ++messages;
      events += message.events;
      phase_events += message.events;
    }
  }

  static constexpr int kFixtureUsers = 5000;
  static constexpr size_t kGeneratedPool = 8192;
  std::vector<StampedMessage> fixture_;
  std::vector<std::string> fixture_keys_;
  std::vector<StampedMessage> generated_;
  Ledger& ledger_;
  uint64_t max_ahead_;
  rd_kafka_t* producer_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{true};
  double rate_eps_ = 0;
};

// One relay instance's own figures in a scrape.
struct RelaySample {
  double cpu = 0, delivered = 0, assigned = 0, rebalances = 0, concurrency = 0;
  long hwm_kb = 0;
};

// One scrape of the relays (and of the sink). The relay series are summed over
// the instances, except `paused` (the share of instances paused) and
// `relay_hwm_kb` (the largest instance's).
struct Sample {
  double t = 0;
  double consumed_msgs = 0, delivered = 0, dead = 0, skipped = 0, filtered = 0;
  double http_requests = 0, batch_sum = 0, batch_count = 0, paused = 0, concurrency = 0;
  double request_s_sum = 0, request_count = 0, inflight_requests = 0;
  double assigned = 0, rebalances = 0;
  uint64_t committed_msgs = 0, committed_events = 0;
  std::vector<std::pair<double, double>> e2e_buckets;  // le -> cumulative count
  double relay_cpu = 0, sink_cpu = 0, self_cpu = 0;
  long relay_hwm_kb = 0, relay_rss_kb = 0;
  double sink_events = 0;
  std::string load;
  std::vector<RelaySample> relays;  // per instance, in start order
};

double label_number(const std::string& line, const char* label) {
  const std::string key = std::string(label) + "=\"";
  const size_t at = line.find(key);
  if (at == std::string::npos) return NAN;
  const std::string text = line.substr(at + key.size(), line.find('"', at + key.size()) - at - key.size());
  if (text == "+Inf") return INFINITY;
  return std::strtod(text.c_str(), nullptr);
}

// Adds one relay's /metrics body to `s` (every series summed, histogram
// buckets matched on their bound) and raises `commits` to the committed offset
// of each partition it reports.
void add_metrics(const std::string& body, Sample& s, std::map<int32_t, int64_t>& commits) {
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    const double value = std::strtod(line.c_str() + space + 1, nullptr);
    auto is = [&](const char* name) {
      const size_t n = std::strlen(name);
      return line.compare(0, n, name) == 0 && (line[n] == '{' || line[n] == ' ');
    };
    if (is("cdp_relay_messages_consumed_total")) s.consumed_msgs += value;
    else if (is("cdp_relay_events_delivered_total")) s.delivered += value;
    else if (is("cdp_relay_events_dead_lettered_total")) s.dead += value;
    else if (is("cdp_relay_events_skipped_total")) s.skipped += value;
    else if (is("cdp_relay_events_filtered_total")) s.filtered += value;
    else if (is("cdp_relay_http_requests_total")) s.http_requests += value;
    else if (is("cdp_relay_http_request_duration_seconds_sum")) s.request_s_sum += value;
    else if (is("cdp_relay_http_request_duration_seconds_count")) s.request_count += value;
    else if (is("cdp_relay_inflight_requests")) s.inflight_requests += value;
    else if (is("cdp_relay_batch_events_sum")) s.batch_sum += value;
    else if (is("cdp_relay_batch_events_count")) s.batch_count += value;
    else if (is("cdp_relay_consumer_paused")) s.paused += value;
    else if (is("cdp_relay_concurrency_limit")) s.concurrency += value;
    else if (is("cdp_relay_assigned_partitions")) s.assigned += value;
    else if (is("cdp_relay_rebalances_total")) s.rebalances += value;
    else if (is("cdp_relay_end_to_end_latency_seconds_bucket")) {
      const double le = label_number(line, "le");
      auto bucket = std::find_if(s.e2e_buckets.begin(), s.e2e_buckets.end(),
                                 [le](const auto& b) { return b.first == le; });
      if (bucket == s.e2e_buckets.end()) s.e2e_buckets.emplace_back(le, value);
      else bucket->second += value;
    } else if (is("cdp_relay_commit_offset") && value >= 0) {
      int64_t& offset = commits[static_cast<int32_t>(label_number(line, "partition"))];
      offset = std::max(offset, static_cast<int64_t>(value));
    }
  }
}

struct RelayEndpoint {
  int admin_port;
  pid_t pid;
};

class Scraper {
 public:
  Scraper(const std::vector<RelayEndpoint>& relays, int sink_port, bool sink_has_stats,
          pid_t sink, Ledger& ledger, int partitions, Feeder& feeder)
      : relays_(relays), sink_client_("127.0.0.1", sink_port), sink_has_stats_(sink_has_stats),
        sink_(sink), ledger_(ledger), commit_(partitions, 0), feeder_(feeder) {
    for (const auto& relay : relays_) {
      relay_clients_.push_back(std::make_unique<httplib::Client>("127.0.0.1", relay.admin_port));
      relay_clients_.back()->set_keep_alive(true);
    }
    sink_client_.set_keep_alive(true);
  }
  ~Scraper() { stop(); }
  void start() {
    thread_ = std::thread([this] {
      while (!stop_) {
        scrape();
        std::this_thread::sleep_for(100ms);
      }
    });
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  Sample latest() {
    std::lock_guard lock(mu_);
    return latest_;
  }
  std::vector<Sample> history() {
    std::lock_guard lock(mu_);
    return history_;
  }
  // A fresh sample, taken now (the phase boundaries).
  Sample now() {
    scrape();
    return latest();
  }
  double sink_events() {
    if (!sink_has_stats_) return -1;
    std::lock_guard lock(sink_mu_);
    auto response = sink_client_.Get("/stats");
    if (!response || response->status != 200) return -1;
    const std::string& body = response->body;
    return std::strtod(body.c_str() + body.find("\"events\":") + 9, nullptr);
  }
  std::string sink_stats() {
    std::lock_guard lock(sink_mu_);
    auto response = sink_client_.Get("/stats");
    return response && response->status == 200 ? response->body : "";
  }
  void reset_sink_latency() {
    std::lock_guard lock(sink_mu_);
    sink_client_.Post("/latency/reset", "", "text/plain");
  }

 private:
  // A sample counts only when every relay answered: the sums never dip.
  void scrape() {
    std::lock_guard scrape_lock(scrape_mu_);
    Sample s;
    s.t = steady_s();
    s.sink_cpu = proc_cpu_s(sink_);
    s.self_cpu = self_cpu_s();
    s.load = loadavg();
    std::map<int32_t, int64_t> commits;
    for (size_t i = 0; i < relays_.size(); ++i) {
      const pid_t pid = relays_[i].pid;
      auto response = relay_clients_[i]->Get("/metrics");
      if (!response || response->status != 200) return;
      const Sample before = s;
      add_metrics(response->body, s, commits);
      RelaySample own;
      own.cpu = proc_cpu_s(pid);
      own.hwm_kb = proc_status_kb(pid, "VmHWM:");
      own.delivered = s.delivered - before.delivered;
      own.assigned = s.assigned - before.assigned;
      own.rebalances = s.rebalances - before.rebalances;
      own.concurrency = s.concurrency - before.concurrency;
      s.relay_cpu += own.cpu;
      s.relay_hwm_kb = std::max(s.relay_hwm_kb, own.hwm_kb);
      s.relay_rss_kb += proc_status_kb(pid, "VmRSS:");
      s.relays.push_back(own);
    }
    s.paused /= static_cast<double>(std::max<size_t>(1, relays_.size()));
    s.sink_events = sink_events();
    feeder_.consumed = static_cast<uint64_t>(s.consumed_msgs);
    std::lock_guard lock(mu_);
    for (auto [partition, offset] : commits) {
      if (partition < 0 || partition >= static_cast<int32_t>(commit_.size())) continue;
      int64_t to = offset;
      if (to > commit_[partition]) {
        committed_events_ += ledger_.events_in(partition, commit_[partition], to);
        committed_msgs_ += static_cast<uint64_t>(to - commit_[partition]);
        commit_[partition] = to;
      }
    }
    s.committed_msgs = committed_msgs_;
    s.committed_events = committed_events_;
    latest_ = s;
    history_.push_back(s);
  }

  std::vector<RelayEndpoint> relays_;
  std::vector<std::unique_ptr<httplib::Client>> relay_clients_;
  httplib::Client sink_client_;
  bool sink_has_stats_;
  pid_t sink_;
  Ledger& ledger_;
  std::vector<int64_t> commit_;
  uint64_t committed_msgs_ = 0, committed_events_ = 0;
  Feeder& feeder_;
  std::mutex mu_, scrape_mu_, sink_mu_;
  Sample latest_;
  std::vector<Sample> history_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

// Quantile from the delta of two cumulative Prometheus histograms: the bucket
// bound that holds it (and the linear interpolation inside it).
std::pair<double, double> histogram_quantile(const Sample& a, const Sample& b, double q) {
  std::vector<std::pair<double, double>> delta;
  for (size_t i = 0; i < b.e2e_buckets.size(); ++i) {
    const double before = i < a.e2e_buckets.size() ? a.e2e_buckets[i].second : 0;
    delta.emplace_back(b.e2e_buckets[i].first, b.e2e_buckets[i].second - before);
  }
  std::sort(delta.begin(), delta.end());
  if (delta.empty() || delta.back().second <= 0) return {NAN, NAN};
  const double rank = q * delta.back().second;
  double lower = 0, below = 0;
  for (const auto& [le, count] : delta) {
    if (count >= rank) {
      const double inside = count - below;
      const double fraction = inside > 0 ? (rank - below) / inside : 1;
      return {le, std::isinf(le) ? lower : lower + (le - lower) * fraction};
    }
    lower = le;
    below = count;
  }
  return {NAN, NAN};
}

struct RawResult {
  double msgs_per_s = 0, events_per_s = 0, mb_per_s = 0, seconds = 0, cpu_s = 0;
  uint64_t messages = 0, events = 0, errors = 0;
  int passes = 0;
  std::string load;
};

rd_kafka_t* raw_consumer(const std::string& brokers, bool eof) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  auto set = [&](const std::string& key, const std::string& value) {
    cdp_relay::util::set_kafka_property(conf, key, value, "raw consumer");
  };
  set("bootstrap.servers", brokers);
  set("group.id", "cdp-relay-bench-raw");
  set("enable.auto.commit", "false");
  set("enable.auto.offset.store", "false");
  set("fetch.wait.max.ms", "10");  // the mock never cuts a fetch wait short
  set("enable.partition.eof", eof ? "true" : "false");
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) throw std::runtime_error(std::string("raw consumer: ") + errstr);
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

// Re-reads every partition from its log start to its end, pass after pass,
// for `seconds`. The producer is stopped.
RawResult raw_reread(const std::string& brokers, int partitions, double seconds, Ledger& ledger) {
  rd_kafka_t* rk = raw_consumer(brokers, true);
  std::vector<int64_t> low(partitions), high(partitions);
  uint64_t pass_events = 0, pass_messages = 0;
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_query_watermark_offsets(rk, kTopic, p, &low[p], &high[p], 5000);
    int64_t to = high[p];
    pass_events += ledger.events_in(p, low[p], to);
    pass_messages += static_cast<uint64_t>(high[p] - low[p]);
  }
  RawResult result;
  result.load = loadavg();
  uint64_t bytes = 0;
  const double cpu0 = self_cpu_s();
  const double started = steady_s();
  while (steady_s() - started < seconds) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) {
      rd_kafka_topic_partition_list_add(list, kTopic, p)->offset = low[p];
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    int eofs = 0;
    uint64_t messages = 0;
    while (eofs < partitions && steady_s() - started < seconds + 10) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 100);
      if (message == nullptr) continue;
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        ++eofs;
      } else if (!message->err) {
        ++messages;
        bytes += message->len;
      }
      rd_kafka_message_destroy(message);
    }
    rd_kafka_assign(rk, nullptr);
    result.messages += messages;
    result.events += messages == pass_messages ? pass_events : 0;
    ++result.passes;
  }
  result.seconds = steady_s() - started;
  result.cpu_s = self_cpu_s() - cpu0;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  result.msgs_per_s = static_cast<double>(result.messages) / result.seconds;
  // Events scale with the messages of complete passes (every pass is the same range).
  result.events_per_s = pass_messages ? result.msgs_per_s * static_cast<double>(pass_events) /
                                            static_cast<double>(pass_messages)
                                      : 0;
  result.mb_per_s = static_cast<double>(bytes) / result.seconds / 1e6;
  return result;
}

// Consumes at the head of every partition while the producer runs flat out.
RawResult raw_live(const std::string& brokers, int partitions, double seconds, Feeder& feeder,
                   Ledger& ledger) {
  rd_kafka_t* rk = raw_consumer(brokers, false);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    // The current end as an absolute offset: a logical END would resolve only
    // once the consumer is up, after the producer may already be max_ahead.
    int64_t low = 0, high = 0;
    rd_kafka_query_watermark_offsets(rk, kTopic, p, &low, &high, 5000);
    rd_kafka_topic_partition_list_add(list, kTopic, p)->offset = high;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  const uint64_t base = feeder.messages.load();
  feeder.consumed = base;
  feeder.start(0);
  uint64_t messages = 0, bytes = 0;
  std::vector<int64_t> first(partitions, -1), last(partitions, -1);
  RawResult result;
  const double started = steady_s();
  double window_start = 0, cpu0 = 0;
  uint64_t window_messages = 0, window_bytes = 0;
  std::vector<int64_t> window_first;
  while (steady_s() - started < seconds + 1) {
    if (window_start == 0 && steady_s() - started >= 1) {  // 1 s to settle
      window_start = steady_s();
      cpu0 = self_cpu_s();
      window_messages = messages;
      window_bytes = bytes;
      window_first = last;
      result.load = loadavg();
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 100);
    if (message == nullptr) continue;
    if (!message->err) {
      ++messages;
      bytes += message->len;
      last[message->partition] = message->offset;
      if (first[message->partition] < 0) first[message->partition] = message->offset;
      if ((messages & 255) == 0) feeder.consumed = base + messages;
    } else if (++result.errors == 1) {
      std::fprintf(stderr, "  [raw live] consume error: %s\n", rd_kafka_message_errstr(message));
    }
    rd_kafka_message_destroy(message);
  }
  result.seconds = steady_s() - window_start;
  result.cpu_s = self_cpu_s() - cpu0;
  feeder.stop();
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  result.messages = messages - window_messages;
  for (int p = 0; p < partitions; ++p) {
    if (last[p] < 0) continue;
    const int64_t from = window_first.empty() || window_first[p] < 0 ? first[p] : window_first[p] + 1;
    int64_t to = last[p] + 1;
    result.events += ledger.events_in(p, from, to);
  }
  result.msgs_per_s = static_cast<double>(result.messages) / result.seconds;
  result.events_per_s = static_cast<double>(result.events) / result.seconds;
  result.mb_per_s = static_cast<double>(bytes - window_bytes) / result.seconds / 1e6;
  return result;
}

std::string machine() {
  std::string model = "unknown";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname name{};
  uname(&name);
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " CPU, " +
         name.sysname + " " + name.release;
}

std::string today(const char* format) {
  const std::time_t now = std::time(nullptr);
  char text[64];
  std::strftime(text, sizeof text, format, std::localtime(&now));
  return text;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: e2e [--smoke] [--out FILE] [--partitions N] [--warmup-s S] [--max-s S]\n"
               "           [--latency-s S] [--raw-s S] [--load F] [--malformed F] [--max-ahead N]\n"
               "           [--relays N] [--relay PATH] [--sink PATH] [--sink-kind bench|emulate]\n"
               "           [--fixture FILE] [--work-dir DIR] [--rate EVENTS_PER_S] [--idle-s S]\n"
               "           [--sink-latency-ms MS] [--concurrency-max N] [--max-inflight-messages N]\n"
               "           [--compression none|lz4|zstd|...] [--fetch-wait-max-ms MS]\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  const std::filesystem::path self = std::filesystem::canonical("/proc/self/exe");
  o.relay_bin = (self.parent_path().parent_path() / "cdp-relay").string();
  o.sink_bin = (self.parent_path() / "e2e_sink").string();
  o.fixture = std::string(CDP_RELAY_SOURCE_DIR) + "/tests/fixtures/mixed/small_tracks.jsonl";
  o.out = std::string(CDP_RELAY_SOURCE_DIR) + "/bench/results/e2e-" + today("%Y-%m-%d-%H%M%S") + ".json";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--smoke") {
      o.warmup_s = 1, o.max_s = 3, o.latency_s = 3, o.raw_s = 1, o.idle_s = 1;
    } else if (arg == "--out") o.out = value();
    else if (arg == "--partitions") o.partitions = std::stoi(value());
    else if (arg == "--warmup-s") o.warmup_s = std::stod(value());
    else if (arg == "--max-s") o.max_s = std::stod(value());
    else if (arg == "--latency-s") o.latency_s = std::stod(value());
    else if (arg == "--raw-s") o.raw_s = std::stod(value());
    else if (arg == "--load") o.load = std::stod(value());
    else if (arg == "--malformed") o.malformed = std::stod(value());
    else if (arg == "--max-ahead") o.max_ahead = std::stoull(value());
    else if (arg == "--relays") o.relays = std::stoi(value());
    else if (arg == "--relay") o.relay_bin = value();
    else if (arg == "--sink") o.sink_bin = value();
    else if (arg == "--sink-kind") o.sink_kind = value();
    else if (arg == "--fixture") o.fixture = value();
    else if (arg == "--work-dir") o.work_dir = value();
    else if (arg == "--compression") o.compression = value();
    else if (arg == "--fetch-wait-max-ms") o.fetch_wait_max_ms = std::stoi(value());
    else if (arg == "--rate") o.rate = std::stod(value());
    else if (arg == "--idle-s") o.idle_s = std::stod(value());
    else if (arg == "--sink-latency-ms") o.sink_latency_ms = std::stoi(value());
    else if (arg == "--concurrency-max") o.concurrency_max = std::stoi(value());
    else if (arg == "--max-inflight-messages") o.max_inflight_messages = std::stoull(value());
    else usage();
  }
  if (o.sink_kind != "bench" && o.sink_kind != "emulate") usage();
  if (o.relays < 1 || o.partitions < 1) usage();
  if (o.max_ahead == 0) o.max_ahead = 5000 * static_cast<uint64_t>(o.partitions);
  return o;
}

void write_config(const std::string& path, const std::string& brokers, int sink_port,
                  int admin_port, const Options& options) {
  std::ofstream out(path);
  out << "# Generated by bench/e2e. Product defaults except: the mock cluster's\n"
         "# settings and timestamp_format unix_ms (the sink measures\n"
         "# latency from it).\n"
         "kafka:\n"
         "  brokers: \"" << brokers << "\"\n"
         "  group_id: cdp-relay-bench\n"
         "  consumer:\n"
         "    session.timeout.ms: \"6000\"\n"
         "    max.poll.interval.ms: \"10000\"\n"
         "    fetch.wait.max.ms: \"" << options.fetch_wait_max_ms << "\"\n"
         "sources:\n"
         "  - topic: " << kTopic << "\n"
         "    format: auto\n"
         "dead_letter:\n"
         "  topic: " << kDeadLetterTopic << "\n"
         "destinations:\n"
         "  vidora:\n"
         "    enabled: true\n"
         "    api_key: " << kApiKey << "\n"
         "    base_url: http://127.0.0.1:" << sink_port << "\n"
         "    timestamp_format: unix_ms\n";
  if (options.concurrency_max > 0) {
    out << "    concurrency:\n      max: " << options.concurrency_max << "\n";
  }
  if (options.max_inflight_messages > 0) {
    out << "pipeline:\n  max_inflight_messages: " << options.max_inflight_messages << "\n";
  }
  out <<          "admin:\n"
         "  listen: \"127.0.0.1:" << admin_port << "\"\n"
         "log_level: warn\n";
}

// Waits until `done` or `timeout_s`; prints a progress line every second.
bool wait_for(Scraper& scraper, Feeder& feeder, const char* phase, double timeout_s,
              const std::function<bool(const Sample&)>& done) {
  const double started = steady_s();
  Sample previous = scraper.latest();
  double next_print = started + 1;
  while (steady_s() - started < timeout_s) {
    std::this_thread::sleep_for(100ms);
    const Sample s = scraper.latest();
    if (done && done(s)) return true;
    if (steady_s() >= next_print && s.t > previous.t) {
      std::string assigned;  // partitions per instance, with several
      for (size_t i = 0; s.relays.size() > 1 && i < s.relays.size(); ++i) {
        assigned += (i ? "," : "  partitions ") + std::to_string(static_cast<int>(s.relays[i].assigned));
      }
      std::fprintf(stderr,
                   "  [%-8s] %6.1f s  delivered %11.0f  %9.0f ev/s  lag %7.0f msgs (unacked %6.0f)  relay cpu "
                   "%4.0f%%  load %s%s\n",
                   phase, steady_s() - started, s.delivered,
                   (s.delivered - previous.delivered) / (s.t - previous.t),
                   static_cast<double>(feeder.messages.load()) - s.consumed_msgs,
                   static_cast<double>(feeder.messages.load() - feeder.acked_messages.load()),
                   100 * (s.relay_cpu - previous.relay_cpu) / (s.t - previous.t), s.load.c_str(),
                   assigned.c_str());
      previous = s;
      next_print += 1;
    }
  }
  return !done;
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  const std::string work_dir =
      options.work_dir.empty()
          ? (std::filesystem::temp_directory_path() / ("cdp-relay-e2e-" + std::to_string(getpid()))).string()
          : options.work_dir;
  std::filesystem::create_directories(work_dir);

  std::vector<std::string> fixture;
  {
    std::ifstream in(options.fixture);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) fixture.push_back(line);
    }
  }
  if (fixture.empty()) {
    std::fprintf(stderr, "e2e: no fixture lines in %s\n", options.fixture.c_str());
    return 1;
  }

  MockCluster cluster(options.brokers);
  cluster.create_topic(kTopic, options.partitions);
  cluster.create_topic(kDeadLetterTopic, 1);
  const std::string brokers = cluster.bootstrap_servers();

  // The sink.
  Child sink;
  int sink_port = 0;
  const bool bench_sink = options.sink_kind == "bench";
  if (bench_sink) {
    // cpp-httplib gives each keep-alive connection a worker until it closes,
    // and curl may open a connection while idle ones still hold theirs: with
    // exactly concurrency.max workers a new connection could wait unserved
    // until the relay's 30 s request timeout (seen at 100 ms as a latency
    // tail of tens of seconds). Twice the relay's ceiling leaves room.
    const int per_relay = 2 * std::max(64, options.concurrency_max);
    sink.start({options.sink_bin, "--port", "0", "--threads",
                std::to_string(per_relay * options.relays), "--latency-ms",
                std::to_string(options.sink_latency_ms)},
               work_dir + "/sink.log", true);
    const std::string line = sink.read_line();
    if (line.rfind("listening ", 0) == 0) sink_port = std::atoi(line.c_str() + 10);
  } else {
    sink_port = free_port();
    sink.start({options.relay_bin, "emulate", "--no-validate", "--listen",
                "127.0.0.1:" + std::to_string(sink_port), "--api-key", kApiKey},
               work_dir + "/sink.log", true);
    sink.read_line();  // "emulator listening on ..."
  }
  if (sink_port <= 0 || !sink.alive()) {
    std::fprintf(stderr, "e2e: the sink did not start (see %s/sink.log)\n", work_dir.c_str());
    return 1;
  }

  // The relays: one consumer group, an admin port each.
  std::vector<Child> relays(options.relays);
  std::vector<RelayEndpoint> endpoints;
  std::vector<std::string> relay_names;
  for (int i = 0; i < options.relays; ++i) {
    int admin_port = free_port();
    while (std::any_of(endpoints.begin(), endpoints.end(),
                       [&](const RelayEndpoint& e) { return e.admin_port == admin_port; })) {
      admin_port = free_port();
    }
    relay_names.push_back(work_dir + (options.relays == 1 ? "/relay" : "/relay-" + std::to_string(i)));
    write_config(relay_names[i] + ".yaml", brokers, sink_port, admin_port, options);
    relays[i].start({options.relay_bin, "run", "-c", relay_names[i] + ".yaml"},
                    relay_names[i] + ".log", false);
    endpoints.push_back({admin_port, relays[i].pid});
  }

  std::printf("cdp-relay end-to-end benchmark\n");
  std::printf("  machine   %s\n", machine().c_str());
  std::printf("  kafka     mock cluster, %d brokers, topic %s, %d partitions\n", options.brokers,
              kTopic, options.partitions);
  for (int i = 0; i < options.relays; ++i) {
    std::printf("  relay     %s run -c %s.yaml (pid %d)\n", options.relay_bin.c_str(),
                relay_names[i].c_str(), relays[i].pid);
  }
  std::printf("  sink      %s on 127.0.0.1:%d (pid %d)\n",
              bench_sink ? "bench/e2e_sink" : "cdp-relay emulate --no-validate", sink_port,
              sink.pid);
  std::printf("  logs      %s\n\n", work_dir.c_str());
  std::fflush(stdout);

  Ledger ledger(options.partitions);
  Feeder feeder(brokers, fixture, options.malformed, ledger, options.max_ahead,
                options.compression);
  Scraper scraper(endpoints, sink_port, bench_sink, sink.pid, ledger, options.partitions, feeder);
  for (int i = 0; i < options.relays; ++i) {  // the admin server answers once the relay is constructed
    httplib::Client probe("127.0.0.1", endpoints[i].admin_port);
    const double started = steady_s();
    while (!probe.Get("/healthz") && steady_s() - started < 30) {
      if (!relays[i].alive()) {
        std::fprintf(stderr, "e2e: a relay exited (see %s.log)\n", relay_names[i].c_str());
        return 1;
      }
      std::this_thread::sleep_for(100ms);
    }
  }
  scraper.start();

  // 1. Warm-up. The group forms first, with nothing produced: every partition
  // owned, and every member owning one while there are enough partitions.
  // (--max-ahead bounds the backlog over all partitions: produced into a
  // partition nobody owns yet, it would pile up there past the mock's ~5 MB,
  // which drops the oldest messages before the late member reads them.)
  // Then the first delivery, then --warmup-s.
  const double join_started = steady_s();
  const size_t owners = static_cast<size_t>(std::min(options.relays, options.partitions));
  const bool group_formed = wait_for(scraper, feeder, "join", 60, [&](const Sample& s) {
    const auto owning = std::count_if(s.relays.begin(), s.relays.end(),
                                      [](const RelaySample& r) { return r.assigned > 0; });
    return s.assigned == options.partitions && static_cast<size_t>(owning) == owners;
  });
  const double join_s = steady_s() - join_started;
  if (!group_formed) {
    std::fprintf(stderr, "e2e: warning: the group did not form within 60 s; measuring anyway\n");
  }
  feeder.start(options.rate);
  if (!wait_for(scraper, feeder, "deliver", 60, [](const Sample& s) { return s.delivered > 0; })) {
    std::fprintf(stderr, "e2e: nothing delivered within 60 s (see %s.log)\n",
                 relay_names[0].c_str());
    return 1;
  }
  wait_for(scraper, feeder, "warm-up", options.warmup_s, nullptr);

  // 2. Max.
  const Sample max_a = scraper.now();
  const double blocked_a = feeder.blocked_s;
  wait_for(scraper, feeder, "max", options.max_s, nullptr);
  const Sample max_b = scraper.now();
  const double blocked_b = feeder.blocked_s;
  const double max_dt = max_b.t - max_a.t;
  const double max_delivered_eps = (max_b.delivered - max_a.delivered) / max_dt;
  const double max_committed_eps =
      static_cast<double>(max_b.committed_events - max_a.committed_events) / max_dt;
  const double max_committed_mps =
      static_cast<double>(max_b.committed_msgs - max_a.committed_msgs) / max_dt;
  const double max_consumed_mps = (max_b.consumed_msgs - max_a.consumed_msgs) / max_dt;
  const double max_resolved_eps = ((max_b.delivered + max_b.dead + max_b.skipped + max_b.filtered) -
                                   (max_a.delivered + max_a.dead + max_a.skipped + max_a.filtered)) /
                                  max_dt;
  // Per-second delivered rates inside the window (spread = noise).
  std::vector<double> per_second;
  {
    const auto history = scraper.history();
    const Sample* mark = nullptr;
    for (const auto& s : history) {
      if (s.t < max_a.t || s.t > max_b.t) continue;
      if (mark == nullptr) mark = &s;
      else if (s.t - mark->t >= 1.0) {
        per_second.push_back((s.delivered - mark->delivered) / (s.t - mark->t));
        mark = &s;
      }
    }
    std::sort(per_second.begin(), per_second.end());
  }
  // The mean of a sampled gauge over the max window.
  auto max_window_mean = [&, history = scraper.history()](double Sample::*gauge) {
    double sum = 0;
    int n = 0;
    for (const auto& s : history) {
      if (s.t < max_a.t || s.t > max_b.t) continue;
      sum += s.*gauge;
      ++n;
    }
    return n ? sum / n : NAN;
  };
  const double paused_fraction = max_window_mean(&Sample::paused);
  const double inflight_mean = max_window_mean(&Sample::inflight_requests);
  const double request_ms = 1e3 * (max_b.request_s_sum - max_a.request_s_sum) /
                            std::max(1.0, max_b.request_count - max_a.request_count);
  const double rebalances_in_max = max_b.rebalances - max_a.rebalances;

  // 3. Latency at `load` x max.
  const double target_eps = options.load * max_delivered_eps;
  feeder.start(target_eps);
  wait_for(scraper, feeder, "drain", 30, [&](const Sample& s) {
    return static_cast<double>(feeder.messages.load()) - s.consumed_msgs < 2000;
  });
  wait_for(scraper, feeder, "settle", 2, nullptr);
  if (bench_sink) scraper.reset_sink_latency();
  const Sample lat_a = scraper.now();
  const uint64_t produced_a = feeder.events;
  wait_for(scraper, feeder, "latency", options.latency_s, nullptr);
  const Sample lat_b = scraper.now();
  const uint64_t produced_b = feeder.events;
  const std::string sink_latency = bench_sink ? scraper.sink_stats() : "";
  const double lat_dt = lat_b.t - lat_a.t;
  const double lat_delivered_eps = (lat_b.delivered - lat_a.delivered) / lat_dt;
  const double lat_produced_eps = static_cast<double>(produced_b - produced_a) / lat_dt;
  auto sink_field = [&](const char* key) -> double {
    const size_t at = sink_latency.find(std::string("\"") + key + "\":");
    return at == std::string::npos ? NAN
                                   : std::strtod(sink_latency.c_str() + at + std::strlen(key) + 3, nullptr);
  };
  const double sink_p50 = sink_field("p50_ms"), sink_p99 = sink_field("p99_ms"),
               sink_p999 = sink_field("p999_ms"), sink_max = sink_field("max_ms"),
               sink_count = sink_field("count");
  const auto hist_p50 = histogram_quantile(lat_a, lat_b, 0.50);
  const auto hist_p99 = histogram_quantile(lat_a, lat_b, 0.99);
  const auto hist_p999 = histogram_quantile(lat_a, lat_b, 0.999);

  // 4. Drain and reconcile.
  feeder.stop();
  const double produced_events = static_cast<double>(feeder.acked_events.load());
  const uint64_t produced_messages = feeder.acked_messages.load();
  const bool drained = wait_for(scraper, feeder, "drain", 60, [&](const Sample& s) {
    return s.delivered + s.dead + s.skipped + s.filtered >= produced_events &&
           s.committed_msgs >= produced_messages;
  });
  const Sample final_sample = scraper.now();
  scraper.stop();
  // Idle: nothing produced, everything resolved; what do the relays cost?
  double idle_cores = NAN;
  if (options.idle_s > 0) {
    std::fprintf(stderr, "  [idle]     %.0f s with no traffic\n", options.idle_s);
    double cpu_a = 0, cpu_b = 0;
    for (const auto& relay : relays) cpu_a += proc_cpu_s(relay.pid);
    const double idle_a = steady_s();
    std::this_thread::sleep_for(std::chrono::duration<double>(options.idle_s));
    for (const auto& relay : relays) cpu_b += proc_cpu_s(relay.pid);
    idle_cores = (cpu_b - cpu_a) / (steady_s() - idle_a) / static_cast<double>(relays.size());
  }
  const double sink_received = bench_sink ? scraper.sink_events() : final_sample.delivered;
  for (const auto& relay : relays) relay.terminate();  // all at once: no rebalance churn
  std::vector<int> relay_exits;
  for (auto& relay : relays) relay_exits.push_back(relay.wait());
  int relay_exit = 0;  // the first non-zero exit status
  for (const int status : relay_exits) relay_exit = relay_exit ? relay_exit : status;
  const bool reconciled =
      drained && feeder.failed == 0 &&
      final_sample.delivered + final_sample.dead + final_sample.skipped + final_sample.filtered ==
          produced_events &&
      final_sample.committed_events == static_cast<uint64_t>(produced_events) &&
      sink_received >= final_sample.delivered;

  // 5. Raw consume (relay stopped).
  std::fprintf(stderr, "  [raw]      re-reading the retained log for %.0f s, then at the head "
                       "for %.0f s\n", options.raw_s, options.raw_s);
  const RawResult reread = raw_reread(brokers, options.partitions, options.raw_s, ledger);
  const RawResult live = raw_live(brokers, options.partitions, options.raw_s, feeder, ledger);
  const double sink_cpu_total = proc_cpu_s(sink.pid);
  sink.stop(5s);

  // Figures.
  const double delivered_window = max_b.delivered - max_a.delivered;
  const double relay_cpu = max_b.relay_cpu - max_a.relay_cpu;
  const double sink_cpu = max_b.sink_cpu - max_a.sink_cpu;
  const double harness_cpu = max_b.self_cpu - max_a.self_cpu;
  const double per_m = 1e6 / std::max(1.0, delivered_window);
  const double ratio_reread = max_delivered_eps / reread.events_per_s;
  const double ratio_live = max_delivered_eps / live.events_per_s;
  const double hwm_mib = static_cast<double>(final_sample.relay_hwm_kb) / 1024.0;
  // Each instance over the max window: its own delivered events and CPU.
  struct PerRelay {
    double delivered_eps = NAN, cores = NAN, cpu_per_m = NAN, hwm_mib = NAN, partitions = NAN;
    double concurrency = NAN, rebalances = NAN;
  };
  std::vector<PerRelay> per_relay(relays.size());
  double hwm_sum_mib = 0;
  for (size_t i = 0; i < relays.size(); ++i) {
    if (i >= max_a.relays.size() || i >= max_b.relays.size() || i >= final_sample.relays.size()) {
      continue;
    }
    const RelaySample &a = max_a.relays[i], &b = max_b.relays[i];
    PerRelay& r = per_relay[i];
    r.delivered_eps = (b.delivered - a.delivered) / max_dt;
    r.cores = (b.cpu - a.cpu) / max_dt;
    r.cpu_per_m = (b.cpu - a.cpu) * 1e6 / std::max(1.0, b.delivered - a.delivered);
    r.hwm_mib = static_cast<double>(final_sample.relays[i].hwm_kb) / 1024.0;
    r.partitions = b.assigned;
    r.concurrency = b.concurrency;
    r.rebalances = final_sample.relays[i].rebalances;
    hwm_sum_mib += r.hwm_mib;
  }
  const double relay_cores_each = relay_cpu / max_dt / static_cast<double>(relays.size());
  const double batch_mean = (max_b.batch_sum - max_a.batch_sum) /
                            std::max(1.0, max_b.batch_count - max_a.batch_count);
  const double blocked = (blocked_b - blocked_a) / max_dt;
  auto pct = [&](double q) -> double {
    if (per_second.empty()) return NAN;
    return per_second[std::min(per_second.size() - 1,
                               static_cast<size_t>(q * static_cast<double>(per_second.size())))];
  };

  std::printf("\n  %-46s %14s   %s\n", "figure", "value", "load avg (1/5/15 min)");
  auto row = [](const char* name, const std::string& value, const std::string& load) {
    std::printf("  %-46s %14s   %s\n", name, value.c_str(), load.c_str());
  };
  auto fmt = [](const char* format, double value) {
    char text[64];
    std::snprintf(text, sizeof text, format, value);
    return std::string(text);
  };
  const std::string load_max = max_a.load + " -> " + max_b.load;
  const std::string load_lat = lat_a.load + " -> " + lat_b.load;
  if (options.rate > 0) row("paced input: events/s (--rate)", fmt("%.0f", options.rate), "");
  if (options.sink_latency_ms > 0) {
    row("sink answers after (--sink-latency-ms)", fmt("%.0f", options.sink_latency_ms), "");
  }
  row("max: delivered events/s", fmt("%.0f", max_delivered_eps), load_max);
  row("max: committed events/s", fmt("%.0f", max_committed_eps), "");
  row("max: committed msgs/s", fmt("%.0f", max_committed_mps), "");
  row("max: resolved events/s (+dlq, skipped)", fmt("%.0f", max_resolved_eps), "");
  row("max: per-second delivered min/median/max",
      fmt("%.0f", pct(0)) + "/" + fmt("%.0f", pct(0.5)) + "/" + fmt("%.0f", pct(1.0)), "");
  row("raw reread: events/s (msgs/s)",
      fmt("%.0f", reread.events_per_s) + " (" + fmt("%.0f", reread.msgs_per_s) + ")", reread.load);
  row("raw live (producer flat out): events/s",
      fmt("%.0f", live.events_per_s) + " (" + fmt("%.0f", live.msgs_per_s) + ")", live.load);
  row("ratio relay / raw reread", fmt("%.3f", ratio_reread), "");
  row("ratio relay / raw live", fmt("%.3f", ratio_live), "");
  row("latency phase: target / delivered events/s",
      fmt("%.0f", target_eps) + "/" + fmt("%.0f", lat_delivered_eps), load_lat);
  row("latency (sink) p50 / p99 / p99.9 ms",
      fmt("%.0f", sink_p50) + "/" + fmt("%.0f", sink_p99) + "/" + fmt("%.0f", sink_p999), "");
  row("latency (relay histogram) p50 / p99 / p99.9",
      "<=" + fmt("%g", hist_p50.first) + "/<=" + fmt("%g", hist_p99.first) + "/<=" +
          fmt("%g", hist_p999.first) + " s",
      "");
  row("relay peak RSS (VmHWM) MiB", fmt("%.1f", hwm_mib), "");  // the largest instance's
  row("relay CPU s per M events", fmt("%.2f", relay_cpu * per_m), "");
  row("sink CPU s per M events", fmt("%.2f", sink_cpu * per_m), "");
  row("harness CPU s per M (producer+mock+scraper)", fmt("%.2f", harness_cpu * per_m), "");
  row("relay cores busy during max", fmt("%.2f", relay_cpu / max_dt), "");
  row("relay cores busy idle (per instance)", fmt("%.4f", idle_cores), "");
  row("sink cores busy during max", fmt("%.2f", sink_cpu / max_dt), "");
  row("harness cores busy during max", fmt("%.2f", harness_cpu / max_dt), "");
  row("producer blocked on relay (share of max)", fmt("%.2f", blocked), "");
  row("relay consumer paused (share of max)", fmt("%.2f", paused_fraction), "");
  row("mean events per HTTP request", fmt("%.0f", batch_mean), "");
  row("mean HTTP request time ms / requests in flight",
      fmt("%.1f", request_ms) + "/" + fmt("%.1f", inflight_mean), "");
  if (relays.size() > 1) {
    row("relays in the group (all members assigned)",
        std::to_string(relays.size()) + (group_formed ? " (yes)" : " (NO)"), "");
    row("relay peak RSS MiB max / sum", fmt("%.1f", hwm_mib) + "/" + fmt("%.1f", hwm_sum_mib), "");
    row("relay cores busy per instance (mean)", fmt("%.2f", relay_cores_each), "");
    row("rebalances during max (all members)", fmt("%.0f", rebalances_in_max), "");
  }
  row("reconciled (produced = resolved = committed)", reconciled ? "yes" : "NO", "");
  std::printf("\n  produced %.0f events in %llu msgs: delivered %.0f, dead-lettered %.0f, skipped "
              "%.0f, filtered %.0f; committed %llu events; sink received %.0f; relay exit %d\n",
              produced_events, static_cast<unsigned long long>(produced_messages),
              final_sample.delivered, final_sample.dead, final_sample.skipped,
              final_sample.filtered, static_cast<unsigned long long>(final_sample.committed_events),
              sink_received, relay_exit);
  if (relays.size() > 1) {
    std::printf("\n  %-6s %8s %11s %16s %7s %10s %14s %12s %5s\n", "relay", "pid", "partitions",
                "delivered ev/s", "cores", "CPU s/M", "peak RSS MiB", "concurrency", "exit");
    for (size_t i = 0; i < relays.size(); ++i) {
      const PerRelay& r = per_relay[i];
      std::printf("  %-6zu %8d %11.0f %16.0f %7.2f %10.2f %14.1f %12.0f %5d\n", i, endpoints[i].pid,
                  r.partitions, r.delivered_eps, r.cores, r.cpu_per_m, r.hwm_mib, r.concurrency,
                  relay_exits[i]);
    }
    std::printf("  (over the max window; partitions and concurrency limit at its end)\n");
  }
  std::printf("  figures are wall-clock on a shared 2-core machine: noisy, compare runs with "
              "their load averages\n");

  std::ostringstream json;
  json << "{\n"
       << "  \"date\": \"" << today("%Y-%m-%dT%H:%M:%S%z") << "\",\n"
       << "  \"machine\": \"" << machine() << "\",\n"
       << "  \"setup\": {\"partitions\": " << options.partitions << ", \"brokers\": " << options.brokers
       << ", \"sink\": \"" << (bench_sink ? "e2e_sink" : "emulate --no-validate")
       << "\", \"relay\": \"child process\", \"relays\": " << options.relays
       << ", \"warmup_s\": " << options.warmup_s
       << ", \"max_s\": " << json_number(max_dt) << ", \"latency_s\": " << json_number(lat_dt)
       << ", \"raw_s\": " << options.raw_s << ", \"load\": " << options.load
       << ", \"max_ahead\": " << options.max_ahead << "},\n"
       << "  \"max\": {\"delivered_events_per_s\": " << json_number(max_delivered_eps)
       << ", \"committed_events_per_s\": " << json_number(max_committed_eps)
       << ", \"committed_msgs_per_s\": " << json_number(max_committed_mps)
       << ", \"consumed_msgs_per_s\": " << json_number(max_consumed_mps)
       << ", \"resolved_events_per_s\": " << json_number(max_resolved_eps)
       << ", \"per_second_min\": " << json_number(pct(0))
       << ", \"per_second_median\": " << json_number(pct(0.5))
       << ", \"per_second_max\": " << json_number(pct(1.0))
       << ", \"mean_events_per_request\": " << json_number(batch_mean)
       << ", \"producer_blocked_share\": " << json_number(blocked)
       << ", \"consumer_paused_share\": " << json_number(paused_fraction)
       << ", \"mean_request_ms\": " << json_number(request_ms)
       << ", \"mean_inflight_requests\": " << json_number(inflight_mean)
       << ", \"rebalances\": " << json_number(rebalances_in_max)
       << ", \"loadavg_start\": \"" << max_a.load << "\", \"loadavg_end\": \"" << max_b.load << "\"},\n"
       << "  \"raw\": {\"reread_events_per_s\": " << json_number(reread.events_per_s)
       << ", \"reread_msgs_per_s\": " << json_number(reread.msgs_per_s)
       << ", \"reread_mb_per_s\": " << json_number(reread.mb_per_s)
       << ", \"reread_passes\": " << reread.passes
       << ", \"reread_loadavg\": \"" << reread.load << "\""
       << ", \"live_events_per_s\": " << json_number(live.events_per_s)
       << ", \"live_msgs_per_s\": " << json_number(live.msgs_per_s)
       << ", \"live_loadavg\": \"" << live.load << "\""
       << ", \"ratio_relay_to_reread\": " << json_number(ratio_reread)
       << ", \"ratio_relay_to_live\": " << json_number(ratio_live) << "},\n"
       << "  \"latency\": {\"target_events_per_s\": " << json_number(target_eps)
       << ", \"produced_events_per_s\": " << json_number(lat_produced_eps)
       << ", \"delivered_events_per_s\": " << json_number(lat_delivered_eps)
       << ", \"sink_count\": " << json_number(sink_count)
       << ", \"sink_p50_ms\": " << json_number(sink_p50) << ", \"sink_p99_ms\": " << json_number(sink_p99)
       << ", \"sink_p999_ms\": " << json_number(sink_p999) << ", \"sink_max_ms\": " << json_number(sink_max)
       << ", \"histogram_p50_le_s\": " << json_number(hist_p50.first)
       << ", \"histogram_p99_le_s\": " << json_number(hist_p99.first)
       << ", \"histogram_p999_le_s\": " << json_number(hist_p999.first)
       << ", \"histogram_p50_interp_s\": " << json_number(hist_p50.second)
       << ", \"histogram_p99_interp_s\": " << json_number(hist_p99.second)
       << ", \"histogram_p999_interp_s\": " << json_number(hist_p999.second)
       << ", \"loadavg_start\": \"" << lat_a.load << "\", \"loadavg_end\": \"" << lat_b.load << "\"},\n"
       << "  \"group\": {\"relays\": " << options.relays
       << ", \"formed\": " << (group_formed ? "true" : "false")
       << ", \"join_s\": " << json_number(join_s) << "},\n"
       << "  \"resources\": {\"relay_peak_rss_mib\": " << json_number(hwm_mib)
       << ", \"relay_peak_rss_mib_sum\": " << json_number(hwm_sum_mib)
       << ", \"relay_cores_per_instance\": " << json_number(relay_cores_each)
       << ", \"relay_cpu_s_per_million\": " << json_number(relay_cpu * per_m)
       << ", \"sink_cpu_s_per_million\": " << json_number(sink_cpu * per_m)
       << ", \"harness_cpu_s_per_million\": " << json_number(harness_cpu * per_m)
       << ", \"relay_cores\": " << json_number(relay_cpu / max_dt)
       << ", \"relay_idle_cores\": " << json_number(idle_cores)
       << ", \"paced_rate\": " << json_number(options.rate)
       << ", \"sink_latency_ms\": " << options.sink_latency_ms
       << ", \"sink_cores\": " << json_number(sink_cpu / max_dt)
       << ", \"harness_cores\": " << json_number(harness_cpu / max_dt)
       << ", \"sink_cpu_s_total\": " << json_number(sink_cpu_total) << "},\n"
       << "  \"reconcile\": {\"produced_events\": " << json_number(produced_events)
       << ", \"produced_messages\": " << produced_messages
       << ", \"delivered\": " << json_number(final_sample.delivered)
       << ", \"dead_lettered\": " << json_number(final_sample.dead)
       << ", \"skipped\": " << json_number(final_sample.skipped)
       << ", \"filtered\": " << json_number(final_sample.filtered)
       << ", \"committed_events\": " << final_sample.committed_events
       << ", \"sink_received\": " << json_number(sink_received)
       << ", \"relay_exit\": " << relay_exit
       << ", \"reconciled\": " << (reconciled ? "true" : "false") << "},\n"
       << "  \"per_relay\": [";
  for (size_t i = 0; i < relays.size(); ++i) {
    const PerRelay& r = per_relay[i];
    json << (i ? ",\n" : "\n") << "    {\"index\": " << i
         << ", \"partitions\": " << json_number(r.partitions)
         << ", \"delivered_events_per_s\": " << json_number(r.delivered_eps)
         << ", \"cpu_s_per_million\": " << json_number(r.cpu_per_m)
         << ", \"cores\": " << json_number(r.cores)
         << ", \"peak_rss_mib\": " << json_number(r.hwm_mib)
         << ", \"concurrency_limit\": " << json_number(r.concurrency)
         << ", \"rebalances\": " << json_number(r.rebalances)
         << ", \"exit\": " << relay_exits[i] << "}";
  }
  json << "\n  ]\n}\n";
  std::filesystem::create_directories(std::filesystem::path(options.out).parent_path());
  std::ofstream(options.out) << json.str();
  std::printf("  JSON: %s\n", options.out.c_str());
  return reconciled ? 0 : 1;
}
