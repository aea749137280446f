// The chaos suite (docs/chaos.md): one TEST per scenario, each against real
// `cdp-relay run` child processes, the mock cluster and the emulator, with
// every produced event accounted for. See
// chaos_runner.h for the accounting, the printed line and the duplicate
// window, and docs/chaos.md for how to run them.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <random>

#include "chaos/chaos_runner.h"

namespace cdp_relay::chaos {
namespace {

using Clock = std::chrono::steady_clock;
using integration::EventGenerator;
using integration::GeneratorOptions;
using integration::kDlqTopic;
using integration::kTopic;

// The standard mix: Segment singles and batches, mParticle batches, and one
// message in 200 without identity (so the DLQ is busy in every scenario).
std::function<ProducedMessage()> mixed(uint64_t seed, int invalid_every = 200) {
  auto generator = std::make_shared<EventGenerator>(
      GeneratorOptions{.seed = seed, .invalid_every = invalid_every});
  return [generator] { return generator->next(); };
}

int64_t committed_total(const std::map<int32_t, int64_t>& committed) {
  int64_t total = 0;
  for (const auto& [partition, offset] : committed) total += offset < 0 ? 0 : offset;
  return total;
}

std::map<std::string, int> final_copies(Scenario& scenario) {
  scenario.dlq().poll(100ms);
  return integration::copies_of(integration::recorded_ids(scenario.emulator()),
                                scenario.dlq().records());
}

std::string seconds_of(std::chrono::milliseconds duration) {
  return std::to_string(duration.count() / 1000.0).substr(0, 4) + "s";
}

// 1. SIGKILL mid-stream, then a restart; three times in a row.
TEST(Chaos, SigkillRestartThreeTimes) {
  Scenario scenario("sigkill_restart", 4);
  scenario.start_fleet(1);
  const auto& settings = scenario.settings();
  EventStream stream(scenario.cluster().brokers(), mixed(101), settings.events,
                     settings.scaled(45s, 35s));

  constexpr int kKills = 3;
  std::vector<Snapshot> at_kill;
  for (int kill = 0; kill < kKills; ++kill) {
    // Kill only once this member has delivered and committed something of
    // its own, so every restart has committed and uncommitted work to go by.
    const size_t out_from = scenario.events_out();
    const int64_t committed_from = committed_total(scenario.cluster().committed(scenario.group()));
    ASSERT_TRUE(integration::wait_until(
        [&] {
          return scenario.events_out() >= out_from + settings.events / 50 &&
                 committed_total(scenario.cluster().committed(scenario.group())) > committed_from;
        },
        120s, 200ms))
        << scenario.fleet().log_tails();
    EXPECT_FALSE(stream.finished_producing()) << "kill " << kill + 1 << " was not mid-stream";
    ASSERT_TRUE(scenario.fleet().kill(0));
    // Requests of the dead process may still be inside the emulator.
    integration::wait_for_quiet(scenario.emulator(), 500ms);
    at_kill.push_back(scenario.snapshot());
    scenario.fleet().start();
  }
  ASSERT_TRUE(stream.join());
  const auto& produced = stream.messages();

  // Bound: one window per kill; a SIGKILL itself keeps nothing uncommitted
  // beyond the commit interval.
  const size_t bound = kKills * InflightWindow::of(scenario.config()).events();
  size_t redeliverable = 0;
  for (const auto& snapshot : at_kill) redeliverable += Scenario::uncommitted_out(produced, snapshot);
  const Accounting result = scenario.settle(produced, bound, {}, "kills=3 redeliverable=" +
                                                                   std::to_string(redeliverable));
  // Measured: only what each dead process had out past its committed
  // offsets can come out again, and nothing committed ever does.
  EXPECT_LE(result.duplicates, redeliverable);
  const auto copies = final_copies(scenario);
  for (size_t k = 0; k < at_kill.size(); ++k) {
    EXPECT_EQ(Scenario::redelivered_below(produced, at_kill[k], copies), 0u) << "kill " << k + 1;
  }
}

// 2. A broker down for 10 s, then back up; then every partition leader moved.
TEST(Chaos, BrokerDownThenLeaderMoved) {
  Scenario scenario("broker_down_leader_moved", 4);
  auto* mock = scenario.cluster().handle();
  // Broker 1 is the group coordinator and leads some partitions: taking it
  // down stops commits, heartbeats and part of the fetches at once.
  ASSERT_EQ(rd_kafka_mock_coordinator_set(mock, "group", scenario.group().c_str(), 1),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  scenario.start_fleet(1);
  const auto& settings = scenario.settings();
  const auto outage = settings.scaled(10s, 3s);
  EventStream stream(scenario.cluster().brokers(), mixed(102), settings.events,
                     settings.scaled(45s, 20s));

  ASSERT_TRUE(scenario.wait_for_progress(0, settings.events / 10, 120s))
      << scenario.fleet().log_tails();
  const Snapshot before = scenario.snapshot();
  ASSERT_EQ(rd_kafka_mock_broker_set_down(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::this_thread::sleep_for(outage);
  ASSERT_EQ(rd_kafka_mock_broker_set_up(mock, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_FALSE(stream.finished_producing()) << "the outage was not mid-stream";

  // Back up: once deliveries flow again, move every partition's leader (and
  // the DLQ's) to another broker.
  ASSERT_TRUE(scenario.wait_for_progress(scenario.events_out(), settings.events / 20, 120s))
      << scenario.fleet().log_tails();
  for (int32_t p = 0; p < scenario.cluster().partitions(); ++p) {
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(mock, kTopic, p, 1 + (p + 1) % 3),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_mock_partition_set_leader(mock, kDlqTopic, 0, 2), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_FALSE(stream.finished_producing()) << "the leader move was not mid-stream";
  ASSERT_TRUE(stream.join());
  const auto& produced = stream.messages();

  // Bound: the outage (plus the session timeout, after which the group
  // drops the member and its uncommitted work is redelivered) is one
  // disruption; the leader move is another.
  const auto window = InflightWindow::of(scenario.config());
  const auto session = std::chrono::milliseconds(
      std::stoll(scenario.config().kafka.consumer.at("session.timeout.ms")));
  const size_t bound = window.events(outage + session) + window.events();
  const Accounting result =
      scenario.settle(produced, bound, {}, "outage=" + seconds_of(outage) + " leaders_moved=5");
  (void)result;
  EXPECT_EQ(Scenario::redelivered_below(produced, before, final_copies(scenario)), 0u)
      << "work committed before the outage was delivered again";
}

// 3. A rebalance storm: three members in one group, one killed and one
// started every few seconds.
TEST(Chaos, RebalanceStorm) {
  Scenario scenario("rebalance_storm", 6);
  constexpr int kMembers = 3;
  scenario.start_fleet(kMembers);
  const auto& settings = scenario.settings();
  const auto storm = settings.scaled(30s, 12s);
  EventStream stream(scenario.cluster().brokers(), mixed(103), settings.events,
                     settings.scaled(50s, 25s) + 10s);

  ASSERT_TRUE(scenario.wait_for_progress(0, settings.events / 20, 120s))
      << scenario.fleet().log_tails();
  const Snapshot before = scenario.snapshot();
  std::mt19937 random(103);
  int kills = 0, starts = 0;
  const auto storm_end = Clock::now() + storm;
  while (Clock::now() < storm_end) {
    ASSERT_TRUE(scenario.fleet().kill(random() % scenario.fleet().live()));
    ++kills;
    scenario.fleet().start();
    ++starts;
    std::this_thread::sleep_for(4s);
  }
  EXPECT_FALSE(stream.finished_producing()) << "the storm was not mid-stream";
  ASSERT_TRUE(stream.join());
  const auto& produced = stream.messages();

  // Bound: every kill and every join is a disruption (a kill drops the dead
  // member's uncommitted work; a join revokes partitions whose commit the
  // mock coordinator may refuse while the group re-joins), with all members
  // delivering at once.
  const size_t bound =
      static_cast<size_t>(kills + starts) * InflightWindow::of(scenario.config(), kMembers).events();
  scenario.settle(produced, bound, {},
                  "kills=" + std::to_string(kills) + " joins=" + std::to_string(starts));
  EXPECT_EQ(Scenario::redelivered_below(produced, before, final_copies(scenario)), 0u)
      << "work committed before the storm was delivered again";
}

// 4. A 5xx storm: half of the requests answered 503 for 20 s.
TEST(Chaos, FiveXxStorm) {
  Scenario scenario("5xx_storm", 4);
  scenario.start_fleet(1);
  const auto& settings = scenario.settings();
  const auto storm = settings.scaled(20s, 5s);
  EventStream stream(scenario.cluster().brokers(), mixed(104), settings.events,
                     storm + settings.scaled(20s, 8s));

  ASSERT_TRUE(scenario.wait_for_progress(0, settings.events / 10, 120s))
      << scenario.fleet().log_tails();
  const uint64_t requests_before = scenario.emulator().stats().requests;
  char json[256];
  std::snprintf(json, sizeof json,
                R"({"seed":4,"rules":[{"match":{"until_s":%.3f,"probability":0.5},)"
                R"("action":{"status":503}}]})",
                static_cast<double>(storm.count()) / 1000.0);
  scenario.emulator().set_script(integration::script(json));
  std::this_thread::sleep_for(storm);
  EXPECT_FALSE(stream.finished_producing()) << "the storm was not mid-stream";
  const uint64_t storm_requests = scenario.emulator().stats().requests - requests_before;
  const uint64_t answered_503 = integration::status_count(scenario.emulator(), 503);
  ASSERT_TRUE(stream.join());

  const size_t bound = InflightWindow::of(scenario.config()).events();
  scenario.settle(stream.messages(), bound, {},
                  "storm=" + seconds_of(storm) + " requests=" + std::to_string(storm_requests) +
                      " answered_503=" + std::to_string(answered_503));
  // About half of the storm's requests failed (the draw is seeded).
  EXPECT_GT(answered_503, storm_requests / 4);
  EXPECT_LT(answered_503, storm_requests * 3 / 4 + 1);
}

// 5. 429 with Retry-After: 2 on every request for 10 s; the request rate
// must fall.
TEST(Chaos, TooManyRequestsWithRetryAfter) {
  Scenario scenario("429_retry_after", 4);
  scenario.start_fleet(1);
  const auto& settings = scenario.settings();
  const auto window = settings.scaled(10s, 6s);
  const auto measure = 4s;
  EventStream stream(scenario.cluster().brokers(), mixed(105), settings.events,
                     window + settings.scaled(25s, 12s));

  ASSERT_TRUE(scenario.wait_for_progress(0, settings.events / 10, 120s))
      << scenario.fleet().log_tails();
  auto requests = [&] { return scenario.emulator().stats().requests; };
  // The request rate while events flow normally...
  const uint64_t r0 = requests();
  std::this_thread::sleep_for(measure);
  const double rate_before = static_cast<double>(requests() - r0) / 4.0;

  // ... and while every request is answered 429, Retry-After: 2.
  char json[256];
  std::snprintf(json, sizeof json,
                R"({"rules":[{"match":{"until_s":%.3f},)"
                R"("action":{"status":429,"retry_after":"2"}}]})",
                static_cast<double>(window.count()) / 1000.0);
  const uint64_t q0 = requests();
  const auto t0 = Clock::now();
  scenario.emulator().set_script(integration::script(json));
  std::this_thread::sleep_for(window);
  const uint64_t q1 = requests();
  const double rate_during =
      static_cast<double>(q1 - q0) / std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_FALSE(stream.finished_producing()) << "the 429 window was not mid-stream";
  const uint64_t answered_429 = integration::status_count(scenario.emulator(), 429);
  ASSERT_TRUE(stream.join());

  char rates[128];
  std::snprintf(rates, sizeof rates, "req_per_s_before=%.1f req_per_s_during=%.1f", rate_before,
                rate_during);
  scenario.settle(stream.messages(), InflightWindow::of(scenario.config()).events(), {},
                  "window=" + seconds_of(window) + " " + rates);
  EXPECT_GT(answered_429, 0u);
  // Honouring Retry-After (and backing off) must at least halve the rate.
  EXPECT_GT(rate_before, 2.0) << "too little traffic before the window to compare";
  EXPECT_LT(rate_during, rate_before / 2) << rates;
}

// 6. A hanging endpoint: no response at all for 30 s.
TEST(Chaos, HangingEndpoint) {
  Scenario scenario("hanging_endpoint", 4);
  scenario.start_fleet(1);
  const auto& settings = scenario.settings();
  const auto hang = settings.scaled(30s, 8s);
  EventStream stream(scenario.cluster().brokers(), mixed(106), settings.events,
                     hang + settings.scaled(20s, 10s));

  ASSERT_TRUE(scenario.wait_for_progress(0, settings.events / 10, 120s))
      << scenario.fleet().log_tails();
  // Every request arriving in the window is held for the window's length,
  // then its connection is closed without a response; the relay gives up on
  // each after request_timeout_ms (5 s) and retries.
  char json[256];
  std::snprintf(json, sizeof json,
                R"({"rules":[{"match":{"until_s":%.3f},"action":{"delay_ms":%lld,"reset":true}}]})",
                static_cast<double>(hang.count()) / 1000.0, static_cast<long long>(hang.count()));
  scenario.emulator().set_script(integration::script(json));
  const size_t accepted_at_start = scenario.emulator().accepted_events();
  std::this_thread::sleep_for(hang);
  const size_t accepted_in_window = scenario.emulator().accepted_events() - accepted_at_start;
  EXPECT_FALSE(stream.finished_producing()) << "the hang was not mid-stream";
  ASSERT_TRUE(stream.join());

  scenario.settle(stream.messages(), InflightWindow::of(scenario.config()).events(), {},
                  "hang=" + seconds_of(hang) + " resets=" +
                      std::to_string(scenario.emulator().stats().resets));
  // Nothing got through while the endpoint hung (requests already inside
  // the emulator at the start may finish), and the hung ones were cut.
  EXPECT_LT(accepted_in_window, settings.events / 10);
  EXPECT_GT(scenario.emulator().stats().resets, 0u);
}

// 7. A DLQ outage: produce errors on the DLQ partition's leader. Nothing is
// committed past an undelivered dead letter, and everything recovers.
TEST(Chaos, DeadLetterQueueOutage) {
  Scenario scenario("dlq_outage", 4);
  auto* mock = scenario.cluster().handle();
  // The DLQ alone on broker 3, the input on brokers 1 and 2: the produce
  // errors below hit the relay's DLQ producer and nothing else (the test's
  // input producer keeps streaming).
  constexpr int32_t kDlqBroker = 3;
  for (int32_t p = 0; p < scenario.cluster().partitions(); ++p) {
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(mock, kTopic, p, 1 + p % 2),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_mock_partition_set_leader(mock, kDlqTopic, 0, kDlqBroker),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  // One Produce request in flight per connection for the DLQ producer. The
  // mock cluster (librdkafka 2.0.2) checks idempotent-producer sequence
  // numbers only for transactional producers: when a request fails and the
  // next one, already in flight, succeeds, the mock stores the later batch,
  // where a real broker answers OUT_OF_ORDER_SEQUENCE_NUMBER. librdkafka then
  // acknowledges the failed batch implicitly (a later one was acked, so on a
  // real broker it must have been persisted) although the mock never stored
  // it. That would be the mock losing dead letters, not the relay; with one
  // request in flight no later batch can overtake a failed one.
  scenario.config().kafka.producer["max.in.flight.requests.per.connection"] = "1";
  scenario.start_fleet(1);
  const auto& settings = scenario.settings();
  const auto outage = settings.scaled(15s, 6s);
  // One message in 20 is poison: dead letters all along the outage.
  EventStream stream(scenario.cluster().brokers(), mixed(107, /*invalid_every=*/20),
                     settings.events, outage + settings.scaled(25s, 12s));

  ASSERT_TRUE(integration::wait_until(
      [&] {
        return scenario.events_out() >= settings.events / 10 && scenario.dlq().records().size() >= 5;
      },
      120s, 100ms))
      << scenario.fleet().log_tails();

  // Every Produce request to broker 3 fails (NOT_LEADER_FOR_PARTITION,
  // answered after 200 ms) for `outage`: the broker's error stack is topped
  // up every 20 ms while the outage lasts, then left to run out. It is kept
  // short (5) because the producer's retries slow down as the errors repeat
  // (metadata refreshes): a long stack would outlast the outage by far. With
  // one request in flight and 200 ms per error, 5 never run out within 20 ms.
  constexpr int16_t kProduceApiKey = 0;
  constexpr int kErrorRttMs = 200;
  auto errors_left = [&] {
    size_t left = 0;
    rd_kafka_mock_broker_error_stack_cnt(mock, kDlqBroker, kProduceApiKey, &left);
    return left;
  };
  size_t errors = 0;
  auto top_up = [&] {
    for (size_t left = errors_left(); left < 5; ++left, ++errors) {
      ASSERT_EQ(rd_kafka_mock_broker_push_request_error_rtts(
                    mock, kDlqBroker, kProduceApiKey, 1,
                    RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, kErrorRttMs),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
  };
  const auto outage_start = Clock::now();
  const auto outage_end = outage_start + outage;
  top_up();

  // While it lasts: a poison message not yet in the DLQ holds its
  // partition's committed offset at or below it. Order matters: read the
  // committed offsets first, then everything the DLQ held by then.
  size_t checks = 0, constrained = 0, violations = 0;
  int64_t first_dlq_end = -1, last_dlq_end = -1;
  std::string first_violation;
  auto next_check = Clock::now() + 1s;
  while (Clock::now() < outage_end) {
    top_up();
    if (Clock::now() < next_check) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    next_check = Clock::now() + 500ms;
    const auto committed = scenario.cluster().committed(scenario.group());
    const int64_t dlq_end = scenario.cluster().end_offsets(kDlqTopic).at(0);
    const bool caught_up = integration::wait_until(
        [&] {
          top_up();
          scenario.dlq().poll(10ms);
          const auto& records = scenario.dlq().records();
          return dlq_end == 0 || (!records.empty() && records.back().offset + 1 >= dlq_end);
        },
        5s, 10ms);
    if (!caught_up) continue;
    if (first_dlq_end < 0) first_dlq_end = dlq_end;
    last_dlq_end = dlq_end;
    std::set<std::string> dead;
    for (const auto& record : scenario.dlq().records()) dead.insert(record.ids.begin(), record.ids.end());
    std::map<int32_t, int64_t> first_unresolved;
    for (const auto& message : stream.acked()) {
      if (message.invalid_ids.empty() || dead.count(message.invalid_ids[0])) continue;
      auto [it, inserted] = first_unresolved.emplace(message.partition, message.offset);
      if (!inserted) it->second = std::min(it->second, message.offset);
    }
    ++checks;
    for (const auto& [partition, offset] : first_unresolved) {
      const int64_t at = committed.count(partition) ? committed.at(partition) : -1;
      ++constrained;
      if (at > offset) {
        ++violations;
        if (first_violation.empty()) {
          first_violation = "partition " + std::to_string(partition) + " committed " +
                            std::to_string(at) + " past the undelivered dead letter at offset " +
                            std::to_string(offset);
        }
      }
    }
  }
  EXPECT_TRUE(integration::wait_until([&] { return errors_left() == 0; }, 60s))
      << "the DLQ producer stopped trying";
  const auto outage_took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - outage_start);
  EXPECT_EQ(violations, 0u) << first_violation;
  EXPECT_GT(constrained, 0u) << "no dead letter was ever pending during the outage: vacuous";
  // Once the writes in flight at its start had landed, the DLQ took nothing.
  EXPECT_GE(checks, 2u);
  EXPECT_EQ(last_dlq_end, first_dlq_end) << "the DLQ was written during the outage";
  EXPECT_FALSE(stream.finished_producing()) << "the outage was not mid-stream";
  ASSERT_TRUE(stream.join());

  scenario.settle(stream.messages(), InflightWindow::of(scenario.config()).events(), {},
                  "outage=" + seconds_of(outage_took) + " produce_errors=" +
                      std::to_string(errors) + " checks=" + std::to_string(checks));
}

// 8. Poison: 1% malformed messages, each in the DLQ with the right reason.
TEST(Chaos, PoisonEvents) {
  Scenario scenario("poison", 4);
  scenario.start_fleet(1);
  const auto& settings = scenario.settings();
  auto generator = std::make_shared<PoisonGenerator>(GeneratorOptions{.seed = 108}, 100);
  EventStream stream(scenario.cluster().brokers(), [generator] { return generator->next(); },
                     settings.events, settings.scaled(30s, 10s));
  ASSERT_TRUE(stream.join());
  const auto& produced = stream.messages();
  // Read only after join(): the generator lived on the stream's thread.
  const auto& reasons = generator->expected_reasons();

  const Accounting result = scenario.settle(produced, InflightWindow::of(scenario.config()).events(),
                                            {}, "malformed=" + std::to_string(reasons.size()));
  (void)result;
  ASSERT_GE(reasons.size(), produced.size() / 100);

  std::map<std::string, const ProducedMessage*> message_of;
  for (const auto& message : produced) {
    for (const auto& id : message.ids) message_of[id] = &message;
  }
  std::map<std::string, int> by_reason;
  size_t wrong = 0, missing = 0;
  std::string example;
  for (const auto& [id, reason] : reasons) {
    bool found = false;
    for (const auto& record : scenario.dlq().records()) {
      if (std::find(record.ids.begin(), record.ids.end(), id) == record.ids.end()) continue;
      found = true;
      const ProducedMessage& message = *message_of.at(id);
      const bool right = record.header("cdp.error.reason") == reason &&
                         record.header("cdp.source.partition") == std::to_string(message.partition) &&
                         record.header("cdp.source.offset") == std::to_string(message.offset) &&
                         // A whole message keeps its bytes; a batch item is
                         // re-serialized with the envelope's context merged in.
                         (message.value.rfind("{\"batch\"", 0) == 0 || record.value == message.value);
      if (right) {
        ++by_reason[reason];
      } else {
        ++wrong;
        if (example.empty()) {
          example = id + ": expected " + reason + " got " + record.header("cdp.error.reason") +
                    " (stage " + record.header("cdp.error.stage") + ")";
        }
      }
    }
    if (!found) ++missing;
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(wrong, 0u) << example;
  for (const char* reason : {"missing_identity", "invalid_json", "unknown_format",
                             "missing_event_name", "unsupported_type", "bad_timestamp"}) {
    EXPECT_GT(by_reason[reason], 0) << reason;
  }
}

}  // namespace
}  // namespace cdp_relay::chaos
