#include "chaos/chaos_runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "model/timestamp.h"

namespace cdp_relay::chaos {
namespace {

using Clock = std::chrono::steady_clock;

double env_double(const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(value > 0)) {
    ADD_FAILURE() << name << "=" << text << " is not a positive number";
    return fallback;
  }
  return value;
}

std::string tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

std::string timestamp_now() {
  std::string text;
  model::append_iso8601_ms(
      text, std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count());
  return text;
}

}  // namespace

// ---------------------------------------------------------------------------
// Settings and the window

ChaosSettings ChaosSettings::from_env() {
  ChaosSettings settings;
  settings.events = static_cast<uint64_t>(env_double("CHAOS_EVENTS", 50'000));
  settings.scale = env_double("CHAOS_SCALE", 1.0);
  return settings;
}

std::chrono::milliseconds ChaosSettings::scaled(std::chrono::milliseconds full,
                                                std::chrono::milliseconds floor) const {
  const auto value =
      std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(full.count()) * scale));
  return std::max(value, floor);
}

app::RelayConfig chaos_config(const TestCluster& cluster, const emulator::Emulator& emulator,
                              const std::string& group) {
  app::RelayConfig config = integration::relay_config(cluster, emulator, group);
  // Explicit, small in-flight limits: they define the duplicate window
  // (InflightWindow), so the suite checks the relay against them.
  config.pipeline.max_inflight_messages = 1000;
  config.kafka.consumer["auto.commit.interval.ms"] = "1000";  // the relay's default, made explicit
  config.vidora.batch.max_events = 100;
  // 30 requests/s of at most 100 events: 3,000 events/s per relay, well
  // above the streams' pace, so the relay keeps up and catches up.
  config.vidora.rate_limit_per_s = 30;
  // A hung request is abandoned (and retried) after 5 s.
  config.pipeline.request_timeout_ms = 5000;
  EXPECT_TRUE(config.validate().empty());
  return config;
}

InflightWindow InflightWindow::of(const app::RelayConfig& config, int relays) {
  InflightWindow window;
  window.max_inflight_messages = config.pipeline.max_inflight_messages;
  auto it = config.kafka.consumer.find("auto.commit.interval.ms");
  window.commit_interval_ms = it == config.kafka.consumer.end() ? 1000 : std::stoll(it->second);
  window.rate_limit_per_s = config.vidora.rate_limit_per_s;
  window.max_events_per_request = config.vidora.batch.max_events;
  window.relays = relays;
  EXPECT_GT(window.rate_limit_per_s, 0) << "without a rate limit the window is unbounded";
  return window;
}

size_t InflightWindow::events(std::chrono::milliseconds uncommitted) const {
  const size_t tracked = max_events_per_message * (max_inflight_messages + kLoopStepMessages);
  const double seconds =
      static_cast<double>(uncommitted.count() + commit_interval_ms + kCommitSlackMs) / 1000.0;
  const double burst = std::max(1.0, std::floor(rate_limit_per_s));
  const double requests = burst + rate_limit_per_s * seconds;
  const size_t committing =
      static_cast<size_t>(std::ceil(requests)) * max_events_per_request;
  return static_cast<size_t>(relays) * (tracked + committing);
}

// ---------------------------------------------------------------------------
// PoisonGenerator

PoisonGenerator::PoisonGenerator(integration::GeneratorOptions options, int every)
    : generator_(options, /*first_id=*/1), every_(every) {}

ProducedMessage PoisonGenerator::next() {
  ++messages_;
  if (every_ > 0 && messages_ % static_cast<uint64_t>(every_) == 0) return malformed();
  return generator_.next();
}

ProducedMessage PoisonGenerator::malformed() {
  // Ids come from the wrapped generator's sequence (a no_identity() call
  // burns one), so every id stays unique.
  ProducedMessage message = generator_.no_identity();
  const std::string id = message.ids.at(0);
  const std::string base = "\"messageId\":\"" + id + "\",\"timestamp\":\"2024-11-19T07:00:00.000Z\"";
  std::string reason;
  switch (poison_++ % 6) {
    case 0:  // validate: a track without userId/anonymousId
      reason = "missing_identity";
      break;
    case 1:  // decode: the JSON stops half-way
      message.value = "{\"type\":\"track\",\"event\":\"Cut\",\"userId\":\"user-1\"," + base +
                      ",\"properties\":{\"a\":";
      reason = "invalid_json";
      break;
    case 2:  // decode: neither a Segment call nor an mParticle batch
      message.value = "[\"" + id + "\",42]";
      reason = "unknown_format";
      break;
    case 3:  // validate: a track without an event name
      message.value = "{\"type\":\"track\",\"userId\":\"user-2\"," + base + "}";
      reason = "missing_event_name";
      break;
    case 4:  // validate: a Segment batch item of an unknown call type (a
             // top-level message of unknown type is not detected as Segment
             // at all: unknown_format, case 2)
      message.value = "{\"batch\":[{\"type\":\"teleport\",\"userId\":\"user-3\"," + base +
                      "}],\"context\":{\"locale\":\"en-GB\"}}";
      reason = "unsupported_type";
      break;
    default:  // validate: a timestamp that is not a date
      message.value = "{\"type\":\"track\",\"event\":\"Late\",\"userId\":\"user-4\",\"messageId\":\"" +
                      id + "\",\"timestamp\":\"yesterday-ish\"}";
      reason = "bad_timestamp";
      break;
  }
  reasons_[id] = reason;
  return message;
}

// ---------------------------------------------------------------------------
// EventStream

EventStream::EventStream(const std::string& brokers, std::function<ProducedMessage()> next,
                         uint64_t events, std::chrono::milliseconds duration) {
  thread_ = std::thread([this, brokers, next = std::move(next), events, duration] {
    integration::TestProducer producer(brokers);
    {
      std::lock_guard<std::mutex> lock(mu_);
      producer_ = &producer;
    }
    const auto start = Clock::now();
    const double per_ms = static_cast<double>(events) / static_cast<double>(duration.count());
    while (events_.load() < events && !stop_.load()) {
      const double elapsed_ms =
          std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      const auto due = std::min<uint64_t>(events, static_cast<uint64_t>(per_ms * elapsed_ms) + 1);
      {
        std::lock_guard<std::mutex> lock(mu_);
        while (events_.load() < due) {
          ProducedMessage message = next();
          events_ += message.ids.size();
          producer.produce(std::move(message));
        }
        producer.poll();
      }
      std::this_thread::sleep_for(5ms);
    }
    done_producing_ = true;
    // Flush in short slices so that acked() is never blocked for long (a
    // broker outage can hold delivery reports for many seconds).
    const auto deadline = Clock::now() + 120s;
    bool flushed = false;
    while (!flushed && Clock::now() < deadline) {
      std::lock_guard<std::mutex> lock(mu_);
      flushed = producer.flush(200ms);
    }
    std::lock_guard<std::mutex> lock(mu_);
    ok_ = flushed && producer.failures() == 0;
    for (const auto& message : producer.messages()) {
      if (message.offset < 0) ok_ = false;
      messages_.push_back(message);
    }
    producer_ = nullptr;
  });
}

EventStream::~EventStream() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<ProducedMessage> EventStream::acked() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (producer_ == nullptr) return messages_;
  std::vector<ProducedMessage> result;
  for (const auto& message : producer_->messages()) {
    if (message.offset >= 0) result.push_back(message);
  }
  return result;
}

bool EventStream::join() {
  if (thread_.joinable()) thread_.join();
  return ok_;
}

// ---------------------------------------------------------------------------
// RelayFleet

size_t RelayFleet::start() {
  live_.push_back(
      std::make_unique<ChildRelay>(config_, dir_, "relay-" + std::to_string(++started_)));
  return live_.size() - 1;
}

bool RelayFleet::kill(size_t index) {
  if (index >= live_.size()) return false;
  std::unique_ptr<ChildRelay> member = std::move(live_[index]);
  live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(index));
  member->signal(SIGKILL);
  const auto status = member->wait(10s);
  dead_.push_back(std::move(member));
  return status.has_value() && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL;
}

bool RelayFleet::stop_all(std::chrono::milliseconds timeout) {
  for (auto& member : live_) member->signal(SIGTERM);
  bool ok = true;
  for (auto& member : live_) {
    const auto status = member->wait(timeout);
    const bool clean = status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
    EXPECT_TRUE(clean) << "relay pid " << member->pid() << " did not drain and exit 0:\n"
                       << tail(member->log(), 20);
    ok = ok && clean;
  }
  for (auto& member : live_) dead_.push_back(std::move(member));
  live_.clear();
  return ok;
}

std::string RelayFleet::log_tails() const {
  std::ostringstream out;
  for (const auto* group : {&dead_, &live_}) {
    for (const auto& member : *group) {
      out << "--- relay pid " << member->pid() << "\n" << tail(member->log(), 8);
    }
  }
  return out.str();
}

void RelayFleet::save_logs(const std::string& dir, const std::string& prefix) const {
  for (const auto* group : {&dead_, &live_}) {
    for (const auto& member : *group) {
      std::ofstream(dir + "/" + prefix + "-relay-pid" + std::to_string(member->pid()) + ".log")
          << member->log();
    }
  }
}

// ---------------------------------------------------------------------------
// Scenario

Scenario::Scenario(std::string name, int partitions, int brokers)
    : name_(std::move(name)),
      settings_(ChaosSettings::from_env()),
      group_("chaos-" + name_),
      cluster_(partitions, brokers),
      emulator_(integration::start_emulator()),
      dlq_(cluster_.brokers()),
      config_(chaos_config(cluster_, *emulator_, group_)),
      started_(Clock::now()) {}

void Scenario::start_fleet(int relays) {
  fleet_ = std::make_unique<RelayFleet>(config_);
  for (int i = 0; i < relays; ++i) fleet_->start();
}

size_t Scenario::events_out() {
  dlq_.poll(0ms);
  size_t dead = 0;
  for (const auto& record : dlq_.records()) dead += record.ids.size();
  return emulator_->accepted_events() + dead;
}

Snapshot Scenario::snapshot() {
  Snapshot result;
  result.committed = cluster_.committed(group_);
  dlq_.poll(200ms);
  result.copies = integration::copies_of(integration::recorded_ids(*emulator_), dlq_.records());
  return result;
}

bool Scenario::wait_for_progress(size_t from, size_t events, std::chrono::milliseconds timeout) {
  return integration::wait_until([&] { return events_out() >= from + events; }, timeout, 100ms);
}

size_t Scenario::redelivered_below(const std::vector<ProducedMessage>& produced,
                                   const Snapshot& before,
                                   const std::map<std::string, int>& after) {
  size_t count = 0;
  for (const auto& message : produced) {
    auto it = before.committed.find(message.partition);
    const int64_t limit = it == before.committed.end() || it->second < 0 ? 0 : it->second;
    if (message.offset >= limit) continue;
    for (const auto& id : message.ids) {
      auto was = before.copies.find(id);
      auto now = after.find(id);
      const int was_n = was == before.copies.end() ? 0 : was->second;
      const int now_n = now == after.end() ? 0 : now->second;
      if (now_n > was_n) ++count;
    }
  }
  return count;
}

size_t Scenario::uncommitted_out(const std::vector<ProducedMessage>& produced,
                                 const Snapshot& at) {
  size_t count = 0;
  for (const auto& message : produced) {
    auto it = at.committed.find(message.partition);
    const int64_t limit = it == at.committed.end() || it->second < 0 ? 0 : it->second;
    if (message.offset < limit) continue;
    for (const auto& id : message.ids) count += at.copies.count(id);
  }
  return count;
}

Accounting Scenario::settle(const std::vector<ProducedMessage>& produced, size_t duplicate_bound,
                            const std::set<std::string>& dlq_expected, const std::string& note) {
  const bool all_out = integration::wait_for_all(*emulator_, dlq_, produced, 300s);
  EXPECT_TRUE(all_out) << "not every event came out within 300 s\n" << fleet_->log_tails();
  // Quiescence: the running group commits every partition to its end (the
  // background auto-commit, once any rebalance still going on has settled).
  const bool committed_while_running = integration::wait_until(
      [&] { return cluster_.committed(group_) == cluster_.end_offsets(); }, 60s, 500ms);
  EXPECT_TRUE(committed_while_running) << "the group did not commit every partition to its end\n"
                                       << fleet_->log_tails();
  EXPECT_TRUE(fleet_->stop_all(90s));
  integration::wait_for_quiet(*emulator_, 500ms);
  dlq_.poll(300ms);
  // And the SIGTERM drain never moves a committed offset backwards or leaves
  // one short.
  EXPECT_EQ(cluster_.committed(group_), cluster_.end_offsets()) << "offsets not fully committed";

  const auto recorded = integration::recorded_ids(*emulator_);
  const Accounting result = integration::account(produced, recorded, dlq_.records(), dlq_expected);
  std::set<std::string> delivered(recorded.begin(), recorded.end());
  std::set<std::string> dead_lettered;
  for (const auto& record : dlq_.records()) dead_lettered.insert(record.ids.begin(), record.ids.end());
  const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();

  std::ostringstream line;
  line << "CHAOS " << name_ << " produced=" << result.produced << " delivered=" << delivered.size()
       << " dead_lettered=" << dead_lettered.size() << " lost=" << result.lost
       << " duplicated=" << result.duplicates << " bound=" << duplicate_bound
       << " misplaced=" << result.misplaced << " unknown=" << result.unknown
       << " seconds=" << static_cast<int64_t>(seconds);
  if (!note.empty()) line << " " << note;
  std::cout << line.str() << std::endl;

  if (const char* path = std::getenv("CHAOS_RESULTS"); path != nullptr && *path != '\0') {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    nlohmann::json json = {{"scenario", name_},
                           {"test", test == nullptr ? std::string() : std::string(test->name())},
                           {"produced", result.produced},
                           {"delivered", delivered.size()},
                           {"dead_lettered", dead_lettered.size()},
                           {"lost", result.lost},
                           {"duplicated", result.duplicates},
                           {"bound", duplicate_bound},
                           {"misplaced", result.misplaced},
                           {"unknown", result.unknown},
                           {"seconds", static_cast<int64_t>(seconds)},
                           {"events", settings_.events},
                           {"scale", settings_.scale},
                           {"note", note},
                           {"finished", timestamp_now()}};
    std::ofstream(path, std::ios::app) << json.dump() << "\n";
  }

  if (const char* dir = std::getenv("CHAOS_LOG_DIR"); dir != nullptr && *dir != '\0') {
    fleet_->save_logs(dir, name_);
  }
  if (result.lost > 0) {
    // Where the lost ids sat, against what the group committed.
    std::set<std::string> out(delivered);
    out.insert(dead_lettered.begin(), dead_lettered.end());
    const auto committed = cluster_.committed(group_);
    std::ostringstream where;
    size_t shown = 0;
    for (const auto& message : produced) {
      for (const auto& id : message.ids) {
        if (out.count(id) || shown >= 20) continue;
        ++shown;
        where << "  lost " << id << (message.invalid_ids.empty() ? "" : " (poison)")
              << " partition " << message.partition << " offset " << message.offset
              << ", committed " << (committed.count(message.partition) ? committed.at(message.partition) : -1)
              << ": " << message.value.substr(0, 120) << "\n";
      }
    }
    ADD_FAILURE() << "lost events:\n" << where.str() << fleet_->log_tails();
  }
  EXPECT_EQ(result.lost, 0u) << result.summary();
  EXPECT_EQ(result.misplaced, 0u) << result.summary();
  EXPECT_EQ(result.unknown, 0u) << result.summary();
  EXPECT_LE(result.duplicates, duplicate_bound) << result.summary();
  EXPECT_GE(result.produced, settings_.events);
  return result;
}

}  // namespace cdp_relay::chaos
