// `cdp-relay replay` (docs/replay.md) as the real child process,
// against the mock cluster: events dead-lettered during an outage are
// delivered after the replay, a rerun replays nothing twice, --dry-run
// produces and commits nothing, --since/--until/--rate/--max-events, the
// rewritten headers, and the failures an operator must see.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "integration/harness.h"
#include "support/test_paths.h"

extern char** environ;

namespace cdp_relay::integration {
namespace {

using Steady = std::chrono::steady_clock;

constexpr const char* kReplayTarget = "replay-target";

struct ReplayRun {
  int exit_code = -1;  // -1: killed after the timeout
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `cdp-relay replay <args>` to its end (SIGKILL after `timeout`).
ReplayRun run_replay(const TempDir& dir, const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout = 60s) {
  static int runs = 0;
  const std::string stem = dir.file("replay-" + std::to_string(++runs));
  const std::string out_path = stem + ".out";
  const std::string err_path = stem + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  const std::string binary = testing::relay_binary();
  std::vector<std::string> argv_text = {binary, "replay"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const auto started = Steady::now();
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ReplayRun run;
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << binary << ": " << rc;
    return run;
  }
  int status = 0;
  const bool exited = wait_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout,
                                 10ms);
  run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started);
  if (!exited) {
    ::kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ADD_FAILURE() << "cdp-relay replay did not finish within " << timeout.count() << " ms";
  } else if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  }
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  return run;
}

std::string describe(const ReplayRun& run) {
  return "exit " + std::to_string(run.exit_code) + "\nstdout: " + run.out + "stderr: " + run.err;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void create_topic(TestCluster& cluster, const std::string& topic, int partitions) {
  ASSERT_EQ(rd_kafka_mock_topic_create(cluster.handle(), topic.c_str(), partitions, 1),
            RD_KAFKA_RESP_ERR_NO_ERROR);
}

// A dead letter written by hand, with a chosen Kafka timestamp.
struct Letter {
  std::optional<std::string> key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timestamp_ms = 0;
};

Letter letter(int n, const std::string& reason, int64_t timestamp_ms) {
  Letter out;
  out.key = "user-" + std::to_string(n);
  out.value = R"({"type":"track","event":"Replayed","userId":"user-)" + std::to_string(n) +
              R"(","messageId":"ev-)" + std::to_string(n) +
              R"(","timestamp":"2024-11-19T07:06:40Z"})";
  out.headers = {{"cdp.error.stage", "deliver"},
                 {"cdp.error.reason", reason},
                 {"cdp.error.message", "HTTP 503"},
                 {"cdp.error.destination", "vidora"},
                 {"cdp.error.http_status", "503"},
                 {"cdp.source.topic", kTopic},
                 {"cdp.source.partition", "0"},
                 {"cdp.source.offset", std::to_string(n)},
                 {"cdp.relay.version", "0.1.0"},
                 {"traceparent", "trace-" + std::to_string(n)}};
  out.timestamp_ms = timestamp_ms;
  return out;
}

// Produces `letters` to partition 0 of `topic`, in order, and waits for the acks.
void produce_letters(const std::string& brokers, const std::string& topic,
                     const std::vector<Letter>& letters) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[256];
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  ASSERT_NE(producer, nullptr) << errstr;
  for (const Letter& l : letters) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(l.headers.size());
    for (const auto& [name, value] : l.headers) {
      rd_kafka_header_add(headers, name.c_str(), -1, value.data(),
                          static_cast<ssize_t>(value.size()));
    }
    const char* key = l.key ? l.key->data() : nullptr;
    const size_t key_size = l.key ? l.key->size() : 0;
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_VALUE(const_cast<char*>(l.value.data()), l.value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(l.timestamp_ms),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(headers);
      ADD_FAILURE() << rd_kafka_err2str(err);
    }
  }
  EXPECT_EQ(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);
}

// Records in `topic` partition 0, read until `count` arrived (or 20 s), then
// 200 ms more to catch extras.
std::vector<DlqRecord> read_records(const std::string& brokers, const std::string& topic,
                                    size_t count) {
  DlqReader reader(brokers, topic);
  reader.wait_for(count, 20s);
  reader.poll(200ms);
  return reader.records();
}

int64_t total(const std::map<int32_t, int64_t>& offsets) {
  int64_t sum = 0;
  for (const auto& [partition, offset] : offsets) sum += offset;
  return sum;
}

std::vector<std::string> brokers_args(const TestCluster& cluster) {
  // fetch.wait.max.ms is a mock-cluster quirk; through -c it
  // would pass as kafka.consumer.fetch.wait.max.ms.
  return {"--brokers", cluster.brokers(), "--timeout", "20"};
}

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(ReplayIntegrationTest, EventsDeadLetteredDuringAnOutageAreDeliveredAfterTheReplay) {
  TestCluster cluster(3);
  auto emulator = start_emulator();
  // The outage: every request fails with 500, and delivery gives up after 1 s.
  emulator->set_script(script(R"({"rules":[{"action":{"status":500}}]})"));
  auto config = relay_config(cluster, *emulator, "it-replay-relay");
  config.vidora.retry.max_retry_duration_s = 1;
  RelayRunner relay(config);
  DlqReader dlq(cluster.brokers());

  // Every 7th message has no identity: dead-lettered as missing_identity,
  // which the replay's filter must leave alone.
  EventGenerator generator(GeneratorOptions{.seed = 71, .invalid_every = 7});
  const auto produced = produce_events(cluster.brokers(), generator, 300);
  ASSERT_TRUE(wait_for_all(*emulator, dlq, produced, 90s));
  dlq.poll(200ms);
  EXPECT_EQ(emulator->accepted_events(), 0u);

  std::set<std::string> outage_ids, invalid_ids;
  size_t outage_records = 0;
  for (const auto& record : dlq.records()) {
    const std::string reason = record.header("cdp.error.reason");
    if (reason == "retries_exhausted") {
      ++outage_records;
      outage_ids.insert(record.ids.begin(), record.ids.end());
    } else {
      ASSERT_EQ(reason, "missing_identity") << "an unexpected dead letter";
      invalid_ids.insert(record.ids.begin(), record.ids.end());
    }
  }
  ASSERT_GT(outage_records, 0u);
  ASSERT_FALSE(invalid_ids.empty());
  const size_t dlq_before = dlq.records().size();

  // The destination recovers; the operator replays the outage's dead letters
  // into the source topic, where the running relay picks them up.
  emulator->set_script(script(R"({"rules":[]})"));
  TempDir dir;
  const std::string config_path = dir.file("relay.yaml");
  std::ofstream(config_path) << relay_yaml(config);
  const std::vector<std::string> args = {"-c",       config_path, "--to",   kTopic,
                                         "--filter", "reason=retries_exhausted",
                                         "--group",  "it-replay", "--timeout", "20"};
  const ReplayRun first = run_replay(dir, args);
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  EXPECT_TRUE(contains(first.out, "replayed " + std::to_string(outage_records) + ","))
      << describe(first);
  EXPECT_TRUE(contains(first.out, "retries_exhausted=" + std::to_string(outage_records)))
      << describe(first);
  EXPECT_TRUE(contains(first.out, "filtered out " + std::to_string(dlq_before - outage_records)))
      << describe(first);
  EXPECT_FALSE(contains(first.out + first.err, kApiKey)) << "no secret in the replay's output";

  ASSERT_TRUE(wait_until(
      [&] {
        const auto recorded = recorded_ids(*emulator);
        const std::set<std::string> delivered(recorded.begin(), recorded.end());
        return std::includes(delivered.begin(), delivered.end(), outage_ids.begin(),
                             outage_ids.end());
      },
      60s));
  wait_for_quiet(*emulator);

  // Each outage event delivered exactly once, no invalid one, nothing
  // dead-lettered again.
  const auto copies = copies_of(recorded_ids(*emulator), {});
  for (const auto& id : outage_ids) EXPECT_EQ(copies.count(id) ? copies.at(id) : 0, 1) << id;
  for (const auto& id : invalid_ids) EXPECT_EQ(copies.count(id), 0u) << id;
  EXPECT_EQ(copies.size(), outage_ids.size());
  dlq.poll(300ms);
  EXPECT_EQ(dlq.records().size(), dlq_before);
  EXPECT_EQ(cluster.committed("it-replay", kDlqTopic).at(0), cluster.end_offsets(kDlqTopic).at(0));

  // A rerun with the same group finds nothing left: no double replay.
  const auto source_end = total(cluster.end_offsets());
  const ReplayRun second = run_replay(dir, args);
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_TRUE(contains(second.out, "read 0, replayed 0,")) << describe(second);
  EXPECT_EQ(total(cluster.end_offsets()), source_end);
  wait_for_quiet(*emulator);
  EXPECT_EQ(recorded_ids(*emulator).size(), outage_ids.size());
  EXPECT_TRUE(relay.stop());
}

TEST(ReplayIntegrationTest, DryRunProducesNothingAndCommitsNothing) {
  TestCluster cluster(2);
  std::vector<Letter> letters;
  for (int n = 0; n < 12; ++n) {
    letters.push_back(letter(n, n % 3 == 0 ? "client_error" : "retries_exhausted", 1000 + n));
  }
  produce_letters(cluster.brokers(), kDlqTopic, letters);
  TempDir dir;
  const auto base = brokers_args(cluster) + std::vector<std::string>{
      "--from", kDlqTopic, "--to", kTopic, "--filter", "reason=retries_exhausted",
      "--group", "it-dry"};

  const ReplayRun dry = run_replay(dir, base + std::vector<std::string>{"--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "dry run raw-events.dlq -> raw-events")) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "read 12, would replay 8, filtered out 4")) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "by reason: retries_exhausted=8")) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "first keys: \"user-1\" (0@1) \"user-2\" (0@2)")) << describe(dry);
  EXPECT_EQ(total(cluster.end_offsets()), 0) << "a dry run produced";
  EXPECT_LT(cluster.committed("it-dry", kDlqTopic).at(0), 0) << "a dry run committed";

  // The dry run left the group where it was: the real run takes all 8.
  const ReplayRun real = run_replay(dir, base);
  ASSERT_EQ(real.exit_code, 0) << describe(real);
  EXPECT_TRUE(contains(real.out, "read 12, replayed 8, filtered out 4")) << describe(real);
  EXPECT_TRUE(contains(real.out, "committed 0@12")) << describe(real);
  EXPECT_EQ(total(cluster.end_offsets()), 8);
  EXPECT_EQ(cluster.committed("it-dry", kDlqTopic).at(0), 12);
}

TEST(ReplayIntegrationTest, WindowAndHeaderRewrite) {
  TestCluster cluster(1);
  create_topic(cluster, kReplayTarget, 1);
  std::vector<Letter> letters;
  for (int n = 1; n <= 10; ++n) letters.push_back(letter(n, "retries_exhausted", n * 1000));
  letters[3].headers.emplace_back("cdp.replay.count", "2");  // replayed twice before
  letters[4].key.reset();                                     // a null key stays null
  produce_letters(cluster.brokers(), kDlqTopic, letters);
  TempDir dir;
  const auto base = brokers_args(cluster) + std::vector<std::string>{
      "--from", kDlqTopic, "--to", kReplayTarget, "--group", "it-window"};

  // Kafka timestamps 3000..6000 inclusive, the lower bound in RFC 3339.
  const ReplayRun windowed = run_replay(
      dir, base + std::vector<std::string>{"--since", "1970-01-01T00:00:03Z", "--until", "6000"});
  ASSERT_EQ(windowed.exit_code, 0) << describe(windowed);
  EXPECT_TRUE(contains(windowed.out, "read 6, replayed 4, filtered out 0, before --since 2"))
      << describe(windowed);
  EXPECT_TRUE(contains(windowed.out, "stopped at --until on 1 partition(s)")) << describe(windowed);
  // Records after --until stay unconsumed: the group stops at 7000's offset.
  EXPECT_EQ(cluster.committed("it-window", kDlqTopic).at(0), 6);

  const auto replayed = read_records(cluster.brokers(), kReplayTarget, 4);
  ASSERT_EQ(replayed.size(), 4u);
  for (size_t i = 0; i < replayed.size(); ++i) {
    const Letter& original = letters[i + 2];
    const DlqRecord& record = replayed[i];
    EXPECT_EQ(record.value, original.value);
    EXPECT_EQ(record.key, original.key);
    EXPECT_EQ(record.header("traceparent"), "trace-" + std::to_string(i + 3));
    EXPECT_EQ(record.header("cdp.replay.from"), std::string(kDlqTopic) + "/0/" +
                                                    std::to_string(i + 2));
    EXPECT_EQ(record.header("cdp.replay.count"), i == 1 ? "3" : "1");
    for (const auto& [name, value] : record.headers) {
      EXPECT_NE(name.rfind("cdp.error.", 0), 0u) << name;
      EXPECT_NE(name.rfind("cdp.source.", 0), 0u) << name;
    }
  }

  // Without a window, the same group continues after --until's stop.
  const ReplayRun rest = run_replay(dir, base);
  ASSERT_EQ(rest.exit_code, 0) << describe(rest);
  EXPECT_TRUE(contains(rest.out, "read 4, replayed 4, filtered out 0, before --since 0"))
      << describe(rest);
  const auto all = read_records(cluster.brokers(), kReplayTarget, 8);
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all[7].value, letters[9].value);
  EXPECT_EQ(cluster.committed("it-window", kDlqTopic).at(0), 10);
}

TEST(ReplayIntegrationTest, RateAndMaxEventsBoundTheReplay) {
  TestCluster cluster(1);
  create_topic(cluster, kReplayTarget, 1);
  std::vector<Letter> letters;
  for (int n = 0; n < 150; ++n) letters.push_back(letter(n, "retries_exhausted", 1000 + n));
  produce_letters(cluster.brokers(), kDlqTopic, letters);
  TempDir dir;
  const auto base = brokers_args(cluster) + std::vector<std::string>{
      "--from", kDlqTopic, "--to", kReplayTarget, "--group", "it-rate"};

  // --max-events: 40 now, the rest on the next run.
  const ReplayRun part = run_replay(dir, base + std::vector<std::string>{"--max-events", "40"});
  ASSERT_EQ(part.exit_code, 0) << describe(part);
  EXPECT_TRUE(contains(part.out, "replayed 40,")) << describe(part);
  EXPECT_TRUE(contains(part.out, "--max-events reached")) << describe(part);
  EXPECT_EQ(cluster.committed("it-rate", kDlqTopic).at(0), 40);

  // --rate 25: a burst of 25, then 25/s, so the other 110 need at least
  // (110 - 25) / 25 = 3.4 s. Only this lower bound is asserted: a slow
  // machine makes the run longer, never shorter.
  const ReplayRun paced = run_replay(dir, base + std::vector<std::string>{"--rate", "25"});
  ASSERT_EQ(paced.exit_code, 0) << describe(paced);
  EXPECT_TRUE(contains(paced.out, "read 110, replayed 110,")) << describe(paced);
  EXPECT_GE(paced.elapsed.count(), 3000) << "the rate limit did not hold back the replay";
  EXPECT_EQ(read_records(cluster.brokers(), kReplayTarget, 150).size(), 150u);
}

TEST(ReplayIntegrationTest, UnknownTopicsFailClearly) {
  TestCluster cluster(1);
  TempDir dir;
  const ReplayRun no_source = run_replay(
      dir, brokers_args(cluster) + std::vector<std::string>{"--from", "no-such-dlq", "--to", kTopic});
  EXPECT_EQ(no_source.exit_code, 1) << describe(no_source);
  EXPECT_TRUE(contains(no_source.err, "topic \"no-such-dlq\" does not exist")) << describe(no_source);

  const ReplayRun no_target = run_replay(
      dir, brokers_args(cluster) + std::vector<std::string>{"--from", kDlqTopic, "--to", "no-such"});
  EXPECT_EQ(no_target.exit_code, 1) << describe(no_target);
  EXPECT_TRUE(contains(no_target.err, "topic \"no-such\" does not exist")) << describe(no_target);
}

TEST(ReplayIntegrationTest, ProduceFailuresFailTheRunAndCommitNothing) {
  TestCluster cluster(1);
  std::vector<Letter> letters;
  for (int n = 0; n < 5; ++n) letters.push_back(letter(n, "retries_exhausted", 1000 + n));
  produce_letters(cluster.brokers(), kDlqTopic, letters);
  // Every produce request is refused for longer than the run waits.
  std::vector<rd_kafka_resp_err_t> errors(200, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  rd_kafka_mock_push_request_errors_array(cluster.handle(), 0 /* Produce */, errors.size(),
                                          errors.data());
  TempDir dir;
  const ReplayRun run = run_replay(
      dir, std::vector<std::string>{"--brokers", cluster.brokers(), "--timeout", "2", "--from",
                                    kDlqTopic, "--to", kTopic, "--group", "it-produce-fail"});
  EXPECT_EQ(run.exit_code, 1) << describe(run);
  EXPECT_TRUE(contains(run.out, "FAILED")) << describe(run);
  EXPECT_TRUE(contains(run.out, "replayed 0 of 5 selected")) << describe(run);
  EXPECT_LT(cluster.committed("it-produce-fail", kDlqTopic).at(0), 0)
      << "offsets of unacknowledged records were committed";
}

}  // namespace
}  // namespace cdp_relay::integration
