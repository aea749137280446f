// The integration-test harness: real parts only (README "Tests").
//  - Kafka: librdkafka's mock cluster (app::MockCluster) over loopback TCP;
//  - HTTP: the in-process emulator (emulator::Emulator) on port 0;
//  - the relay either in-process (RelayRunner: app::Relay on a std::thread)
//    or as a child process (ChildRelay: `cdp-relay run -c <temp yaml>`).
//
// Events are numbered "ev-<n>" (Segment messageId / mParticle
// source_message_id), unique per generator, so an accounting pass can check
// every produced event against what the emulator recorded (its event_id) and
// what the DLQ topic holds: lost, duplicated, or in the wrong place.
//
// Waiting is always a polling loop with a deadline (wait_until); no fixed
// sleep is an assertion.
#pragma once

#include <librdkafka/rdkafka.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/mock_cluster.h"
#include "app/relay_config.h"
#include "app/wiring.h"
#include "cdp_relay/clock.h"
#include "emulator/emulator.h"
#include "emulator/fault_script.h"

namespace cdp_relay::integration {

using namespace std::chrono_literals;

inline constexpr const char* kTopic = "raw-events";
inline constexpr const char* kDlqTopic = "raw-events.dlq";
inline constexpr const char* kApiKey = "it-api-key";

// Polls `done` every `interval` until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = 20ms);

// ---------------------------------------------------------------------------
// Input events

struct ProducedMessage {
  std::string key;
  std::string value;
  std::vector<std::string> ids;          // every event id the message carries
  std::vector<std::string> invalid_ids;  // of those, the ones the decoder must dead-letter
  int32_t partition = -1;                // filled by the producer's delivery report
  int64_t offset = -1;
};

struct GeneratorOptions {
  uint64_t seed = 1;
  int users = 500;
  // Every Nth message is a Segment track without any identity (DLQ:
  // validate/missing_identity). 0 = never.
  int invalid_every = 0;
};

// A deterministic mix: Segment track/page/identify singles, Segment batch
// envelopes (3 items), and mParticle batches (2-3 events). Ids are unique per
// generator and numbered from `first_id`.
class EventGenerator {
 public:
  explicit EventGenerator(GeneratorOptions options = {}, uint64_t first_id = 1);

  ProducedMessage next();
  ProducedMessage segment_single(int user);
  // `bad_index` >= 0: that item has no userId/anonymousId.
  ProducedMessage segment_batch(int user, int items, int bad_index = -1);
  ProducedMessage mparticle_batch(int user, int events);
  ProducedMessage no_identity();

  uint64_t messages() const { return messages_; }

 private:
  std::string next_id();
  std::string timestamp();
  std::string track_json(int user, const std::string& id, bool with_context);

  GeneratorOptions options_;
  std::mt19937_64 random_;
  uint64_t next_id_;
  uint64_t messages_ = 0;
  int64_t clock_ms_ = 1'732'000'000'000;
};

// A librdkafka producer for test input, recording where each message landed.
// Single-threaded: use it from one thread.
class TestProducer {
 public:
  explicit TestProducer(const std::string& brokers);
  ~TestProducer();
  TestProducer(const TestProducer&) = delete;
  TestProducer& operator=(const TestProducer&) = delete;

  // partition -1: by key (librdkafka's default partitioner).
  void produce(ProducedMessage message, int32_t partition = -1,
               const std::string& topic = kTopic);
  void poll() { rd_kafka_poll(producer_, 0); }
  // Waits for every delivery report. False on timeout or any failed report.
  bool flush(std::chrono::milliseconds timeout = 30s);

  const std::deque<ProducedMessage>& messages() const { return messages_; }
  size_t failures() const { return failures_; }

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);

  rd_kafka_t* producer_ = nullptr;
  std::deque<ProducedMessage> messages_;  // stable addresses: delivery reports point here
  size_t failures_ = 0;
};

// Streams generated messages from a thread of its own, `per_tick` messages
// every `tick`, until `events` events were produced, then flushes.
class ProducerThread {
 public:
  ProducerThread(const std::string& brokers, GeneratorOptions options, uint64_t events,
                 int per_tick = 50, std::chrono::milliseconds tick = 5ms, uint64_t first_id = 1);
  ~ProducerThread();
  // Waits for the thread; returns whether every message was acknowledged.
  bool join();
  uint64_t events_produced() const { return events_.load(); }
  // REQUIRES: join() returned.
  std::vector<ProducedMessage> messages() const;

 private:
  std::thread thread_;
  std::atomic<uint64_t> events_{0};
  std::atomic<bool> stop_{false};
  bool ok_ = false;
  bool joined_ = false;
  std::vector<ProducedMessage> messages_;
};

// Produces `messages` (partition -1: by key) and waits for every ack; returns
// them with their partitions and offsets.
std::vector<ProducedMessage> produce_all(const std::string& brokers,
                                         std::vector<ProducedMessage> messages,
                                         int32_t partition = -1);
// Produces messages from `generator` until `events` events were produced.
std::vector<ProducedMessage> produce_events(const std::string& brokers, EventGenerator& generator,
                                            uint64_t events);

// ---------------------------------------------------------------------------
// Kafka

class TestCluster {
 public:
  // A cluster of `brokers` with kTopic (`partitions`) and kDlqTopic (1).
  explicit TestCluster(int partitions, int brokers = 3);

  std::string brokers() const { return mock_.bootstrap_servers(); }
  rd_kafka_mock_cluster_t* handle() { return mock_.handle(); }
  int partitions() const { return partitions_; }
  int broker_count() const { return broker_count_; }
  void set_all_brokers_up(bool up);

  // Log end offsets of every partition of `topic`.
  std::map<int32_t, int64_t> end_offsets(const std::string& topic = kTopic) const;
  // The group's committed offsets (-1001 = none), read with a separate
  // consumer handle that never joins the group.
  std::map<int32_t, int64_t> committed(const std::string& group,
                                       const std::string& topic = kTopic) const;

 private:
  app::MockCluster mock_;
  int partitions_;
  int broker_count_;
};

struct DlqRecord {
  std::optional<std::string> key;
  std::string value;
  std::map<std::string, std::string> headers;
  int64_t offset = -1;
  std::vector<std::string> ids;  // event ids found in the value
  std::string header(const std::string& name) const;
};

// Reads a topic from the beginning with assign() (no group), accumulating.
class DlqReader {
 public:
  explicit DlqReader(const std::string& brokers, const std::string& topic = kDlqTopic);
  ~DlqReader();
  DlqReader(const DlqReader&) = delete;
  DlqReader& operator=(const DlqReader&) = delete;

  // Reads what is available, waiting at most `wait` for the first record.
  void poll(std::chrono::milliseconds wait = 0ms);
  // Polls until at least `count` records were read or `timeout` passes.
  bool wait_for(size_t count, std::chrono::milliseconds timeout);
  const std::vector<DlqRecord>& records() const { return records_; }

 private:
  rd_kafka_t* consumer_ = nullptr;
  std::vector<DlqRecord> records_;
};

// ---------------------------------------------------------------------------
// HTTP peer and relay

// Starts an emulator on 127.0.0.1:0 with the repository's schemas.
std::unique_ptr<emulator::Emulator> start_emulator(const std::string& api_key = kApiKey,
                                                   size_t max_body_bytes = 512 * 1024);
// Parses a fault script; fails the test (ADD_FAILURE) on a parse error.
emulator::FaultScript script(std::string_view json);

// A relay configuration for tests: mock-cluster consumer settings (short
// session and fetch waits), short linger, small retry backoffs.
app::RelayConfig relay_config(const TestCluster& cluster, const emulator::Emulator& emulator,
                              const std::string& group);
// The YAML a child `cdp-relay run -c` reads for `config` (the keys tests set).
std::string relay_yaml(const app::RelayConfig& config);

// An in-process app::Relay running on a thread of its own.
class RelayRunner {
 public:
  explicit RelayRunner(const app::RelayConfig& config);
  ~RelayRunner();
  // Sets the stop flag and joins. Returns what run() returned (drained).
  bool stop();
  // Counters are atomics: safe to read while running.
  const app::PipelineCounters& counters() { return relay_->loop().counters(); }
  // The admin server's port (fixed after construction): safe while running.
  int admin_port() const { return relay_->admin_port(); }
  // Only safe after stop().
  app::Relay& relay() { return *relay_; }

 private:
  app::RelayConfig config_;
  SystemClock clock_;
  SystemRandom random_;
  std::unique_ptr<app::Relay> relay_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  bool drained_ = false;
  bool stopped_ = false;
};

// A private temp directory, removed with its files on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// `cdp-relay run -c <dir>/<name>.yaml` as a child process; its stdout and
// stderr go to <dir>/<name>.log.
class ChildRelay {
 public:
  ChildRelay(const app::RelayConfig& config, const TempDir& dir, const std::string& name);
  ~ChildRelay();  // SIGKILLs and reaps the child if it still runs
  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for the child to exit; its wait status, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string log_path_;
};

// ---------------------------------------------------------------------------
// Accounting

// Every "ev-<n>" id quoted in `text`.
std::vector<std::string> ids_in(std::string_view text);
// The event_id of every event the emulator recorded, in order (duplicates kept).
std::vector<std::string> recorded_ids(const emulator::Emulator& emulator);

struct Accounting {
  size_t produced = 0;               // distinct ids produced
  size_t recorded = 0;               // recorded events (copies included)
  size_t dead_lettered = 0;          // ids in DLQ records (copies included)
  size_t lost = 0;                   // produced, found nowhere
  size_t duplicates = 0;             // copies beyond the first, recorded + DLQ
  size_t misplaced = 0;              // expected in the DLQ but recorded, or the reverse
  size_t unknown = 0;                // found but never produced
  std::vector<std::string> examples; // a few offending ids, for messages
  std::string summary() const;
};

// Checks every produced id against recorded ∪ DLQ. An id belongs in the DLQ
// when it is a message's invalid_id or listed in `dlq_expected`; every other
// id belongs in the recorded events.
Accounting account(const std::vector<ProducedMessage>& produced,
                   const std::vector<std::string>& recorded, const std::vector<DlqRecord>& dlq,
                   const std::set<std::string>& dlq_expected = {});

// How many times each id came out, over recorded ∪ DLQ.
std::map<std::string, int> copies_of(const std::vector<std::string>& recorded,
                                     const std::vector<DlqRecord>& dlq);
// Ids that came out more than once although their message lies below
// `committed` (a snapshot of the group's offsets taken before a disruption):
// committed work must never be redelivered. Missing/negative offsets count as 0.
size_t duplicated_below(const std::vector<ProducedMessage>& produced,
                        const std::map<std::string, int>& copies,
                        const std::map<int32_t, int64_t>& committed);

// Polls the emulator and the DLQ until every produced id is recorded or
// dead-lettered (copies do not count twice), or `timeout` passes.
bool wait_for_all(const emulator::Emulator& emulator, DlqReader& dlq,
                  const std::vector<ProducedMessage>& produced, std::chrono::milliseconds timeout);

// Waits until the emulator has recorded nothing new for `quiet` (requests of
// a relay that just died may still be in the emulator's handlers).
void wait_for_quiet(const emulator::Emulator& emulator, std::chrono::milliseconds quiet = 300ms);

// Sum of a status over the emulator's stats.
uint64_t status_count(const emulator::Emulator& emulator, int status);

// ---------------------------------------------------------------------------
// HTTP (admin server, Prometheus)

struct HttpReply {
  int status = 0;
  std::string body;
};
// GET http://127.0.0.1:<port><path>; nullopt when nothing answered.
std::optional<HttpReply> http_get(int port, const std::string& path);
// A port that was free a moment ago (for servers that cannot take port 0).
int free_port();

}  // namespace cdp_relay::integration
