// The chaos-suite runner (docs/chaos.md): what every
// scenario of tests/chaos/chaos_test.cc shares.
//
// A scenario starts the mock cluster, the emulator and one or more real
// `cdp-relay run` child processes (integration::ChildRelay), streams
// uniquely numbered events of mixed formats, injects its fault, waits for
// quiescence (every produced id delivered or dead-lettered, then SIGTERM and
// every offset committed), and prints one line:
//
//   CHAOS <scenario> produced=<n> delivered=<n> dead_lettered=<n> lost=<n> duplicated=<n> ...
//
// produced = distinct ids produced; delivered = distinct ids the emulator
// recorded; dead_lettered = distinct ids in the DLQ topic; lost = produced ids
// found nowhere; duplicated = copies beyond the first (recorded ∪ DLQ). With
// CHAOS_RESULTS set, the same fields are appended to that file as one JSON
// line (scripts/chaos.sh prints the table from it).
//
// Invariants every scenario asserts (Scenario::settle): lost == 0,
// misplaced == 0, unknown == 0, and duplicated <= the in-flight window the
// scenario's disruptions allow (InflightWindow, computed from the relay
// configuration, never from what was measured).
//
// Knobs (environment): CHAOS_EVENTS (events per scenario, default 50000),
// CHAOS_SCALE (multiplies fault and stream durations, default 1.0),
// CHAOS_RESULTS (a file to append JSON result lines to), CHAOS_LOG_DIR (keep
// every relay's log there; by default they go with the scenario's temp dir).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"

namespace cdp_relay::chaos {

using namespace std::chrono_literals;
using integration::Accounting;
using integration::ChildRelay;
using integration::DlqReader;
using integration::ProducedMessage;
using integration::TempDir;
using integration::TestCluster;

// CHAOS_EVENTS and CHAOS_SCALE, read once per scenario.
struct ChaosSettings {
  uint64_t events = 50'000;
  double scale = 1.0;

  static ChaosSettings from_env();
  // `full` times CHAOS_SCALE, never below `floor` (the mock group's session
  // timeout and the relay's commit interval do not scale).
  std::chrono::milliseconds scaled(std::chrono::milliseconds full,
                                   std::chrono::milliseconds floor = 1000ms) const;
};

// The relay configuration every scenario starts from: the integration
// harness's mock-cluster settings plus explicit, bounded in-flight limits.
app::RelayConfig chaos_config(const TestCluster& cluster, const emulator::Emulator& emulator,
                              const std::string& group);

// How many events a relay may have delivered (or dead-lettered) without its
// offsets being committed: what one disruption (SIGKILL, lost assignment,
// rebalance whose commit is refused) can make the group deliver again.
//
// Every term comes from the configuration:
//   tracked   = max_events_per_message * (pipeline.max_inflight_messages + kLoopStepMessages)
//     Messages consumed and not yet resolved may have some outputs delivered
//     already (the watermark waits for the slowest). The pipeline loop checks
//     the bound after each step of at most kLoopStepMessages
//     (app/pipeline_loop.cc), so it can overshoot by one step.
//   committing = rate_events_per_s * (uncommitted + auto.commit.interval.ms + kCommitSlack)
//                + burst_events
//     Resolved messages are stored at once but committed by the background
//     auto-commit, every auto.commit.interval.ms; kCommitSlack covers the
//     commit's round trip on a loaded machine. `uncommitted` is how long the
//     disruption itself keeps commits from succeeding (0 for a SIGKILL, the
//     outage plus the session timeout for a broker outage). What the relay
//     can deliver in that time is capped by destinations.vidora.rate_limit_per_s
//     (requests/s, a token bucket starting full with `rate` tokens) times
//     batch.max_events.
struct InflightWindow {
  static constexpr size_t kLoopStepMessages = 512;
  static constexpr int64_t kCommitSlackMs = 1000;

  size_t max_events_per_message = 3;  // the generators' largest message (Segment batch of 3)
  size_t max_inflight_messages = 0;
  int64_t commit_interval_ms = 0;
  double rate_limit_per_s = 0;        // REQUIRES: > 0, or the window is unbounded
  size_t max_events_per_request = 0;
  int relays = 1;                     // relays delivering at once (each has its own bucket)

  static InflightWindow of(const app::RelayConfig& config, int relays = 1);
  // The window of one disruption that keeps commits failing for `uncommitted`.
  size_t events(std::chrono::milliseconds uncommitted = 0ms) const;
};

// ---------------------------------------------------------------------------
// Input

// Malformed inputs for the poison scenario, each with the DLQ reason the
// relay must give it (README "Dead-letter topic", cdp.error.reason).
// Every `every`-th message is one of them, cycling through the kinds; the
// rest come from integration::EventGenerator.
class PoisonGenerator {
 public:
  PoisonGenerator(integration::GeneratorOptions options, int every);
  ProducedMessage next();
  // id -> expected cdp.error.reason, for every malformed id generated.
  const std::map<std::string, std::string>& expected_reasons() const { return reasons_; }

 private:
  ProducedMessage malformed();

  integration::EventGenerator generator_;
  int every_;
  uint64_t messages_ = 0;
  uint64_t poison_ = 0;
  std::map<std::string, std::string> reasons_;
};

// Streams messages from `next` on a thread of its own at an even pace, so
// that `events` events take about `duration`, then flushes. Unlike
// integration::ProducerThread it can report, while running, which messages
// were acknowledged and where (acked()).
class EventStream {
 public:
  // `next` is called only on the stream's thread.
  EventStream(const std::string& brokers, std::function<ProducedMessage()> next, uint64_t events,
              std::chrono::milliseconds duration);
  ~EventStream();
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  uint64_t events_produced() const { return events_.load(); }
  bool finished_producing() const { return done_producing_.load(); }
  // The messages acknowledged so far, with their partitions and offsets.
  std::vector<ProducedMessage> acked() const;
  // Waits for the thread; whether every message was acknowledged.
  bool join();
  // REQUIRES: join() returned.
  const std::vector<ProducedMessage>& messages() const { return messages_; }

 private:
  std::thread thread_;
  std::atomic<uint64_t> events_{0};
  std::atomic<bool> done_producing_{false};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  integration::TestProducer* producer_ = nullptr;  // guarded by mu_; lives on the thread
  bool ok_ = false;
  std::vector<ProducedMessage> messages_;
};

// ---------------------------------------------------------------------------
// Relays

// The relay processes of one scenario, all with the same configuration.
class RelayFleet {
 public:
  explicit RelayFleet(app::RelayConfig config) : config_(std::move(config)) {}

  // Starts one more `cdp-relay run`; returns its index among the live ones.
  size_t start();
  size_t live() const { return live_.size(); }
  // SIGKILLs live member `index` and reaps it. False if it did not die.
  bool kill(size_t index);
  // SIGTERMs every live member; true when each exited 0 within `timeout`.
  bool stop_all(std::chrono::milliseconds timeout);
  // The last lines of every member's log, for failure messages.
  std::string log_tails() const;
  // Copies every member's whole log to <dir>/<prefix>-relay-<n>.log.
  void save_logs(const std::string& dir, const std::string& prefix) const;
  const app::RelayConfig& config() const { return config_; }

 private:
  app::RelayConfig config_;
  TempDir dir_;
  int started_ = 0;
  std::vector<std::unique_ptr<ChildRelay>> live_;
  std::vector<std::unique_ptr<ChildRelay>> dead_;  // reaped; kept for their logs
};

// ---------------------------------------------------------------------------
// Scenario

// What came out (recorded ∪ DLQ, copies counted) and what was committed at
// one moment.
struct Snapshot {
  std::map<int32_t, int64_t> committed;
  std::map<std::string, int> copies;
};

class Scenario {
 public:
  // A cluster of `brokers` with `partitions` raw-events partitions, an
  // emulator, a DLQ reader, and group "chaos-<name>".
  Scenario(std::string name, int partitions, int brokers = 3);

  const std::string& name() const { return name_; }
  const ChaosSettings& settings() const { return settings_; }
  TestCluster& cluster() { return cluster_; }
  emulator::Emulator& emulator() { return *emulator_; }
  DlqReader& dlq() { return dlq_; }
  const std::string& group() const { return group_; }
  // REQUIRES: start_fleet() not yet called, for changes to take effect.
  app::RelayConfig& config() { return config_; }
  RelayFleet& fleet() { return *fleet_; }
  void start_fleet(int relays = 1);

  // Events out (recorded + DLQ ids, copies included).
  size_t events_out();
  Snapshot snapshot();
  // Blocks until `events_out()` grew by `events` over `from`, or `timeout`.
  bool wait_for_progress(size_t from, size_t events, std::chrono::milliseconds timeout);

  // The end of every scenario: waits until every produced id is out and the
  // running group has committed every partition to its end, stops the fleet
  // with SIGTERM (each member must drain and exit 0), checks the committed
  // offsets again, accounts, prints the
  // CHAOS line, appends the JSON line, and asserts lost/misplaced/unknown = 0
  // and duplicated <= `duplicate_bound`.
  Accounting settle(const std::vector<ProducedMessage>& produced, size_t duplicate_bound,
                    const std::set<std::string>& dlq_expected = {},
                    const std::string& note = "");

  // Ids of messages below `before.committed` that came out again after
  // `before` was taken: committed work must never be redelivered.
  static size_t redelivered_below(const std::vector<ProducedMessage>& produced,
                                  const Snapshot& before,
                                  const std::map<std::string, int>& after);
  // Ids out at `at` whose message lay at or past `at.committed`: what a
  // disruption at that moment may redeliver (measured, for reporting).
  static size_t uncommitted_out(const std::vector<ProducedMessage>& produced, const Snapshot& at);

 private:
  std::string name_;
  ChaosSettings settings_;
  std::string group_;
  TestCluster cluster_;
  std::unique_ptr<emulator::Emulator> emulator_;
  DlqReader dlq_;
  app::RelayConfig config_;
  std::unique_ptr<RelayFleet> fleet_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace cdp_relay::chaos
