#include "integration/harness.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/timestamp.h"
#include "support/test_paths.h"

extern char** environ;

namespace cdp_relay::integration {
namespace {

constexpr std::array<const char*, 4> kTrackEvents = {"Video Content Playing", "Product Clicked",
                                                     "Order Completed", "Article Bookmarked"};
constexpr std::array<const char*, 3> kPages = {"Home", "Catalog", "Checkout"};
constexpr std::array<const char*, 3> kMparticleEvents = {"Play", "Search", "Share"};

void conf_set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char errstr[256];
  if (rd_kafka_conf_set(conf, key, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    ADD_FAILURE() << "rdkafka conf " << key << ": " << errstr;
  }
}

rd_kafka_t* new_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char errstr[256];
  rd_kafka_t* handle = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (handle == nullptr) ADD_FAILURE() << "rd_kafka_new: " << errstr;
  return handle;
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

// ---------------------------------------------------------------------------
// EventGenerator

EventGenerator::EventGenerator(GeneratorOptions options, uint64_t first_id)
    : options_(options), random_(options.seed), next_id_(first_id) {}

std::string EventGenerator::next_id() { return "ev-" + std::to_string(next_id_++); }

std::string EventGenerator::timestamp() {
  clock_ms_ += static_cast<int64_t>(random_() % 50);
  std::string text;
  model::append_iso8601_ms(text, clock_ms_);
  return text;
}

std::string EventGenerator::track_json(int user, const std::string& id, bool with_context) {
  std::string json = "{\"type\":\"track\",\"event\":\"" +
                     std::string(kTrackEvents[random_() % kTrackEvents.size()]) +
                     "\",\"userId\":\"user-" + std::to_string(user) + "\",\"anonymousId\":\"anon-" +
                     std::to_string(user) + "\",\"messageId\":\"" + id + "\",\"timestamp\":\"" +
                     timestamp() + "\",\"properties\":{\"asset_id\":\"asset-" +
                     std::to_string(random_() % 1000) + "\",\"position\":" +
                     std::to_string(random_() % 3600) +
                     ",\"tags\":[\"series\",\"s1\"],\"player\":{\"name\":\"WebPlayer\"}}";
  if (with_context) {
    json += ",\"context\":{\"library\":{\"name\":\"analytics-node\",\"version\":\"3.1.0\"},"
            "\"locale\":\"en-GB\"}";
  }
  return json + "}";
}

ProducedMessage EventGenerator::segment_single(int user) {
  ProducedMessage message;
  message.key = "user-" + std::to_string(user);
  const std::string id = next_id();
  message.ids.push_back(id);
  switch (random_() % 4) {
    case 0:
      message.value = "{\"type\":\"page\",\"name\":\"" +
                      std::string(kPages[random_() % kPages.size()]) +
                      "\",\"userId\":\"user-" + std::to_string(user) + "\",\"messageId\":\"" + id +
                      "\",\"timestamp\":\"" + timestamp() +
                      "\",\"properties\":{\"path\":\"/shop\",\"title\":\"Shop\"}}";
      break;
    case 1:
      message.value = "{\"type\":\"identify\",\"userId\":\"user-" + std::to_string(user) +
                      "\",\"messageId\":\"" + id + "\",\"timestamp\":\"" + timestamp() +
                      "\",\"traits\":{\"plan\":\"premium\",\"logins\":" +
                      std::to_string(random_() % 100) + "}}";
      break;
    default:
      message.value = track_json(user, id, true);
      break;
  }
  return message;
}

ProducedMessage EventGenerator::segment_batch(int user, int items, int bad_index) {
  ProducedMessage message;
  message.key = "user-" + std::to_string(user);
  message.value = "{\"batch\":[";
  for (int i = 0; i < items; ++i) {
    if (i != 0) message.value += ",";
    const std::string id = next_id();
    message.ids.push_back(id);
    if (i == bad_index) {
      message.invalid_ids.push_back(id);
      message.value += "{\"type\":\"track\",\"event\":\"Orphan\",\"messageId\":\"" + id +
                       "\",\"timestamp\":\"" + timestamp() + "\",\"properties\":{\"n\":1}}";
    } else {
      message.value += track_json(user, id, false);
    }
  }
  message.value +=
      "],\"context\":{\"library\":{\"name\":\"analytics-node\",\"version\":\"3.1.0\"},"
      "\"locale\":\"fr-FR\"},\"sentAt\":\"" + timestamp() + "\"}";
  return message;
}

ProducedMessage EventGenerator::mparticle_batch(int user, int events) {
  ProducedMessage message;
  const int64_t mpid = 8'000'000'000'000'000'000LL + user;
  message.key = std::to_string(mpid);
  std::string body = "{\"mpid\":" + std::to_string(mpid) +
                     ",\"environment\":\"production\","
                     "\"user_attributes\":{\"plan\":\"gold\"},"
                     "\"device_info\":{\"platform\":\"iOS\",\"os_version\":\"17.3\"},"
                     "\"events\":[";
  for (int i = 0; i < events; ++i) {
    if (i != 0) body += ",";
    clock_ms_ += 10;
    const std::string id = next_id();
    message.ids.push_back(id);
    const std::string common = "\"timestamp_unixtime_ms\":" + std::to_string(clock_ms_) +
                               ",\"source_message_id\":\"" + id + "\"";
    if (random_() % 2 == 0) {
      body += "{\"event_type\":\"custom_event\",\"data\":{" + common + ",\"event_name\":\"" +
              kMparticleEvents[random_() % kMparticleEvents.size()] +
              "\",\"custom_event_type\":\"media\",\"custom_attributes\":{\"asset_id\":\"a-" +
              std::to_string(random_() % 1000) + "\"}}}";
    } else {
      body += "{\"event_type\":\"screen_view\",\"data\":{" + common +
              ",\"screen_name\":\"Home Feed\"}}";
    }
  }
  message.value = body + "]}";
  return message;
}

ProducedMessage EventGenerator::no_identity() {
  ProducedMessage message;
  message.key = "ghost";
  const std::string id = next_id();
  message.ids.push_back(id);
  message.invalid_ids.push_back(id);
  message.value = "{\"type\":\"track\",\"event\":\"Ghost\",\"messageId\":\"" + id +
                  "\",\"timestamp\":\"" + timestamp() + "\"}";
  return message;
}

ProducedMessage EventGenerator::next() {
  ++messages_;
  if (options_.invalid_every > 0 && messages_ % static_cast<uint64_t>(options_.invalid_every) == 0) {
    return no_identity();
  }
  const int user = static_cast<int>(random_() % static_cast<uint64_t>(options_.users));
  const uint64_t kind = random_() % 10;
  if (kind < 6) return segment_single(user);
  if (kind < 8) return segment_batch(user, 3);
  return mparticle_batch(user, 2 + static_cast<int>(random_() % 2));
}

// ---------------------------------------------------------------------------
// TestProducer / ProducerThread

TestProducer::TestProducer(const std::string& brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", brokers);
  conf_set(conf, "linger.ms", "5");
  conf_set(conf, "enable.idempotence", "true");  // no duplicate input after a broker outage
  conf_set(conf, "message.timeout.ms", "60000");
  rd_kafka_conf_set_dr_msg_cb(conf, &TestProducer::on_delivery);
  rd_kafka_conf_set_opaque(conf, this);
  producer_ = new_handle(RD_KAFKA_PRODUCER, conf);
}

TestProducer::~TestProducer() {
  if (producer_ != nullptr) {
    rd_kafka_flush(producer_, 10000);
    rd_kafka_destroy(producer_);
  }
}

void TestProducer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<TestProducer*>(opaque);
  auto* produced = static_cast<ProducedMessage*>(message->_private);
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->failures_;
    ADD_FAILURE() << "test producer: " << rd_kafka_err2str(message->err);
    return;
  }
  produced->partition = message->partition;
  produced->offset = message->offset;
}

void TestProducer::produce(ProducedMessage message, int32_t partition, const std::string& topic) {
  messages_.push_back(std::move(message));
  ProducedMessage& stored = messages_.back();
  while (true) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
        RD_KAFKA_V_KEY(stored.key.data(), stored.key.size()),
        RD_KAFKA_V_VALUE(stored.value.data(), stored.value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&stored), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      ADD_FAILURE() << "produce: " << rd_kafka_err2str(err);
      ++failures_;
      break;
    }
    rd_kafka_poll(producer_, 10);
  }
  rd_kafka_poll(producer_, 0);
}

bool TestProducer::flush(std::chrono::milliseconds timeout) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(producer_, static_cast<int>(timeout.count()));
  return err == RD_KAFKA_RESP_ERR_NO_ERROR && failures_ == 0;
}

ProducerThread::ProducerThread(const std::string& brokers, GeneratorOptions options,
                               uint64_t events, int per_tick, std::chrono::milliseconds tick,
                               uint64_t first_id) {
  thread_ = std::thread([this, brokers, options, events, per_tick, tick, first_id] {
    TestProducer producer(brokers);
    EventGenerator generator(options, first_id);
    while (events_.load() < events && !stop_.load()) {
      for (int i = 0; i < per_tick && events_.load() < events; ++i) {
        ProducedMessage message = generator.next();
        events_ += message.ids.size();
        producer.produce(std::move(message));
      }
      producer.poll();
      std::this_thread::sleep_for(tick);
    }
    ok_ = producer.flush(60s);
    for (const auto& message : producer.messages()) {
      if (message.offset < 0) ok_ = false;
      messages_.push_back(message);
    }
  });
}

ProducerThread::~ProducerThread() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool ProducerThread::join() {
  if (thread_.joinable()) thread_.join();
  joined_ = true;
  return ok_;
}

std::vector<ProducedMessage> ProducerThread::messages() const {
  EXPECT_TRUE(joined_);
  return messages_;
}

std::vector<ProducedMessage> produce_all(const std::string& brokers,
                                         std::vector<ProducedMessage> messages,
                                         int32_t partition) {
  TestProducer producer(brokers);
  for (auto& message : messages) producer.produce(std::move(message), partition);
  EXPECT_TRUE(producer.flush());
  return {producer.messages().begin(), producer.messages().end()};
}

std::vector<ProducedMessage> produce_events(const std::string& brokers, EventGenerator& generator,
                                            uint64_t events) {
  std::vector<ProducedMessage> messages;
  uint64_t count = 0;
  while (count < events) {
    messages.push_back(generator.next());
    count += messages.back().ids.size();
  }
  return produce_all(brokers, std::move(messages));
}

// ---------------------------------------------------------------------------
// TestCluster / DlqReader

TestCluster::TestCluster(int partitions, int brokers)
    : mock_(brokers), partitions_(partitions), broker_count_(brokers) {
  mock_.create_topic(kTopic, partitions);
  mock_.create_topic(kDlqTopic, 1);
}

void TestCluster::set_all_brokers_up(bool up) {
  for (int32_t id = 1; id <= broker_count_; ++id) {
    const rd_kafka_resp_err_t err = up ? rd_kafka_mock_broker_set_up(mock_.handle(), id)
                                       : rd_kafka_mock_broker_set_down(mock_.handle(), id);
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << "broker " << id;
  }
}

std::map<int32_t, int64_t> TestCluster::end_offsets(const std::string& topic) const {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", brokers());
  rd_kafka_t* handle = new_handle(RD_KAFKA_PRODUCER, conf);
  std::map<int32_t, int64_t> result;
  const int partitions = topic == kDlqTopic ? 1 : partitions_;
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t low = -1, high = -1;
    const rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(handle, topic.c_str(), p, &low, &high, 10000);
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    result[p] = high;
  }
  rd_kafka_destroy(handle);
  return result;
}

std::map<int32_t, int64_t> TestCluster::committed(const std::string& group,
                                                  const std::string& topic) const {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", brokers());
  conf_set(conf, "group.id", group);
  conf_set(conf, "enable.auto.commit", "false");
  rd_kafka_t* handle = new_handle(RD_KAFKA_CONSUMER, conf);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions_);
  for (int32_t p = 0; p < partitions_; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  const rd_kafka_resp_err_t err = rd_kafka_committed(handle, list, 10000);
  EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  std::map<int32_t, int64_t> result;
  for (int i = 0; i < list->cnt; ++i) result[list->elems[i].partition] = list->elems[i].offset;
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(handle);
  rd_kafka_destroy(handle);
  return result;
}

std::string DlqRecord::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string("<absent>") : it->second;
}

DlqReader::DlqReader(const std::string& brokers, const std::string& topic) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", brokers);
  conf_set(conf, "group.id", "it-dlq-reader");  // required by the consumer; never joined
  conf_set(conf, "enable.auto.commit", "false");
  conf_set(conf, "fetch.wait.max.ms", "10");
  conf_set(conf, "enable.partition.eof", "false");
  consumer_ = new_handle(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(consumer_);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  EXPECT_EQ(rd_kafka_assign(consumer_, list), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(list);
}

DlqReader::~DlqReader() {
  rd_kafka_consumer_close(consumer_);
  rd_kafka_destroy(consumer_);
}

void DlqReader::poll(std::chrono::milliseconds wait) {
  int timeout = static_cast<int>(wait.count());
  while (rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, timeout)) {
    timeout = 0;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      DlqRecord record;
      if (message->key != nullptr) {
        record.key = std::string(static_cast<const char*>(message->key), message->key_len);
      }
      if (message->payload != nullptr) {
        record.value.assign(static_cast<const char*>(message->payload), message->len);
      }
      record.offset = message->offset;
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          record.headers[name] =
              value == nullptr ? std::string() : std::string(static_cast<const char*>(value), size);
        }
      }
      record.ids = ids_in(record.value);
      records_.push_back(std::move(record));
    }
    rd_kafka_message_destroy(message);
  }
}

bool DlqReader::wait_for(size_t count, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        poll(10ms);
        return records_.size() >= count;
      },
      timeout, 1ms);
}

// ---------------------------------------------------------------------------
// Emulator and relay

std::unique_ptr<emulator::Emulator> start_emulator(const std::string& api_key,
                                                   size_t max_body_bytes) {
  emulator::EmulatorOptions options;
  options.api_key = api_key;
  options.schema_dir = testing::source_path("schemas");
  options.max_body_bytes = max_body_bytes;
  auto emulator = std::make_unique<emulator::Emulator>(std::move(options));
  EXPECT_TRUE(emulator->start()) << emulator->error();
  return emulator;
}

emulator::FaultScript script(std::string_view json) {
  std::string error;
  auto parsed = emulator::FaultScript::parse(json, error);
  if (!parsed) {
    ADD_FAILURE() << "fault script: " << error;
    return {};
  }
  return *parsed;
}

app::RelayConfig relay_config(const TestCluster& cluster, const emulator::Emulator& emulator,
                              const std::string& group) {
  app::RelayConfig config;
  config.kafka.brokers = cluster.brokers();
  config.kafka.group_id = group;
  // The mock coordinator and fetch path need short timeouts.
  config.kafka.consumer = {{"session.timeout.ms", "6000"},
                           {"max.poll.interval.ms", "10000"},
                           {"fetch.wait.max.ms", "10"}};
  config.sources.push_back({kTopic, decode::InputFormat::kAuto});
  config.dead_letter.topic = kDlqTopic;
  config.vidora.api_key = kApiKey;
  config.vidora.base_url = "http://127.0.0.1:" + std::to_string(emulator.port());
  config.vidora.batch.linger_ms = 20;
  config.vidora.retry.initial_backoff_ms = 20;
  config.vidora.retry.max_backoff_ms = 500;
  config.pipeline.request_timeout_ms = 10000;
  config.admin.listen = "127.0.0.1:0";
  config.shutdown_grace_s = 30;
  EXPECT_TRUE(config.validate().empty());
  return config;
}

std::string relay_yaml(const app::RelayConfig& config) {
  std::ostringstream out;
  out << "kafka:\n"
      << "  brokers: " << quoted(config.kafka.brokers) << "\n"
      << "  group_id: " << quoted(config.kafka.group_id) << "\n"
      << "  consumer:\n";
  for (const auto& [key, value] : config.kafka.consumer) {
    out << "    " << key << ": " << quoted(value) << "\n";
  }
  if (!config.kafka.producer.empty()) {
    out << "  producer:\n";
    for (const auto& [key, value] : config.kafka.producer) {
      out << "    " << key << ": " << quoted(value) << "\n";
    }
  }
  out << "sources:\n";
  for (const auto& source : config.sources) out << "  - topic: " << quoted(source.topic) << "\n";
  const auto& vidora = config.vidora;
  out << "dead_letter:\n  topic: " << quoted(config.dead_letter.topic) << "\n"
      << "destinations:\n  vidora:\n    enabled: true\n"
      << "    api_key: " << quoted(vidora.api_key) << "\n"
      << "    base_url: " << quoted(vidora.base_url) << "\n"
      << "    path: " << quoted(vidora.path) << "\n"
      << "    tls:\n      verify: " << (vidora.tls.verify ? "true" : "false") << "\n"
      << "      ca_file: " << quoted(vidora.tls.ca_file) << "\n"
      << "      cert_file: " << quoted(vidora.tls.cert_file) << "\n"
      << "      key_file: " << quoted(vidora.tls.key_file) << "\n"
      << "    proxy: " << quoted(vidora.proxy) << "\n"
      << "    batch: { max_events: " << vidora.batch.max_events
      << ", max_bytes: " << vidora.batch.max_bytes << ", linger_ms: " << vidora.batch.linger_ms
      << " }\n"
      << "    retry: { initial_backoff_ms: " << vidora.retry.initial_backoff_ms
      << ", max_backoff_ms: " << vidora.retry.max_backoff_ms
      << ", max_retry_duration_s: " << vidora.retry.max_retry_duration_s
      << ", auth_hold_ms: " << vidora.retry.auth_hold_ms << " }\n"
      << "    concurrency: { initial: " << vidora.concurrency.initial
      << ", max: " << vidora.concurrency.max << " }\n"
      << "    rate_limit_per_s: " << vidora.rate_limit_per_s << "\n"
      << "pipeline:\n"
      << "  max_inflight_messages: " << config.pipeline.max_inflight_messages << "\n"
      << "  request_timeout_ms: " << config.pipeline.request_timeout_ms << "\n"
      << "  rebalance_drain_timeout_ms: " << config.pipeline.rebalance_drain_timeout_ms << "\n"
      << "admin:\n  listen: " << quoted(config.admin.listen) << "\n"
      << "  max_circuit_open_s: " << config.admin.max_circuit_open_s << "\n"
      << "log_level: " << obs::to_string(config.log_level) << "\n"
      << "shutdown_grace_s: " << config.shutdown_grace_s << "\n";
  return out.str();
}

RelayRunner::RelayRunner(const app::RelayConfig& config) : config_(config) {
  relay_ = std::make_unique<app::Relay>(config_, clock_, random_);
  thread_ = std::thread([this] { drained_ = relay_->run(stop_); });
}

RelayRunner::~RelayRunner() { stop(); }

bool RelayRunner::stop() {
  if (!stopped_) {
    stop_ = true;
    thread_.join();
    stopped_ = true;
  }
  return drained_;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cdp-relay-it-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ChildRelay::ChildRelay(const app::RelayConfig& config, const TempDir& dir, const std::string& name) {
  const std::string config_path = dir.file(name + ".yaml");
  log_path_ = dir.file(name + ".log");
  {
    std::ofstream out(config_path);
    out << relay_yaml(config);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const std::string binary = testing::relay_binary();
  std::vector<std::string> args = {binary, "run", "-c", config_path};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << binary << ": " << rc;
    pid_ = -1;
  }
}

ChildRelay::~ChildRelay() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

void ChildRelay::signal(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

std::optional<int> ChildRelay::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  std::optional<int> result;
  wait_until(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          reaped_ = true;
          result = status;
          return true;
        }
        return false;
      },
      timeout, 10ms);
  return result;
}

std::string ChildRelay::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---------------------------------------------------------------------------
// Accounting

std::vector<std::string> ids_in(std::string_view text) {
  std::vector<std::string> ids;
  size_t pos = 0;
  while ((pos = text.find("\"ev-", pos)) != std::string_view::npos) {
    size_t end = pos + 4;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end > pos + 4 && end < text.size() && text[end] == '"') {
      ids.emplace_back(text.substr(pos + 1, end - pos - 1));
    }
    pos = end;
  }
  return ids;
}

std::vector<std::string> recorded_ids(const emulator::Emulator& emulator) {
  std::vector<std::string> ids;
  for (const std::string& line : emulator.recorded_events()) {
    const auto event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_object() && event.contains("event_id") && event["event_id"].is_string()) {
      ids.push_back(event["event_id"].get<std::string>());
    } else {
      ids.push_back("<no event_id>");
    }
  }
  return ids;
}

std::string Accounting::summary() const {
  std::ostringstream out;
  out << "produced=" << produced << " recorded=" << recorded << " dead_lettered=" << dead_lettered
      << " lost=" << lost << " duplicates=" << duplicates << " misplaced=" << misplaced
      << " unknown=" << unknown;
  if (!examples.empty()) {
    out << " e.g.";
    for (const auto& id : examples) out << " " << id;
  }
  return out.str();
}

Accounting account(const std::vector<ProducedMessage>& produced,
                   const std::vector<std::string>& recorded, const std::vector<DlqRecord>& dlq,
                   const std::set<std::string>& dlq_expected) {
  Accounting result;
  std::map<std::string, bool> expected;  // id -> belongs in the DLQ
  for (const auto& message : produced) {
    for (const auto& id : message.ids) expected[id] = false;
    for (const auto& id : message.invalid_ids) expected[id] = true;
  }
  for (const auto& id : dlq_expected) expected[id] = true;
  result.produced = expected.size();
  std::map<std::string, int> in_recorded, in_dlq;
  for (const auto& id : recorded) ++in_recorded[id];
  for (const auto& record : dlq) {
    for (const auto& id : record.ids) ++in_dlq[id];
  }
  result.recorded = recorded.size();
  for (const auto& [id, n] : in_dlq) result.dead_lettered += static_cast<size_t>(n);
  auto note = [&](const std::string& what) {
    if (result.examples.size() < 10) result.examples.push_back(what);
  };
  for (const auto& [id, to_dlq] : expected) {
    const int r = in_recorded.count(id) ? in_recorded[id] : 0;
    const int d = in_dlq.count(id) ? in_dlq[id] : 0;
    if (r + d == 0) {
      ++result.lost;
      note("lost:" + id);
      continue;
    }
    result.duplicates += static_cast<size_t>(r + d - 1);
    if ((to_dlq && d == 0) || (!to_dlq && d > 0)) {
      ++result.misplaced;
      note("misplaced:" + id);
    }
  }
  for (const auto& [id, n] : in_recorded) {
    if (!expected.count(id)) {
      ++result.unknown;
      note("unknown:" + id);
    }
  }
  for (const auto& [id, n] : in_dlq) {
    if (!expected.count(id)) {
      ++result.unknown;
      note("unknown:" + id);
    }
  }
  return result;
}

std::map<std::string, int> copies_of(const std::vector<std::string>& recorded,
                                     const std::vector<DlqRecord>& dlq) {
  std::map<std::string, int> copies;
  for (const auto& id : recorded) ++copies[id];
  for (const auto& record : dlq) {
    for (const auto& id : record.ids) ++copies[id];
  }
  return copies;
}

size_t duplicated_below(const std::vector<ProducedMessage>& produced,
                        const std::map<std::string, int>& copies,
                        const std::map<int32_t, int64_t>& committed) {
  size_t count = 0;
  for (const auto& message : produced) {
    auto it = committed.find(message.partition);
    const int64_t limit = it == committed.end() || it->second < 0 ? 0 : it->second;
    if (message.offset >= limit) continue;
    for (const auto& id : message.ids) {
      auto c = copies.find(id);
      if (c != copies.end() && c->second > 1) ++count;
    }
  }
  return count;
}

bool wait_for_all(const emulator::Emulator& emulator, DlqReader& dlq,
                  const std::vector<ProducedMessage>& produced, std::chrono::milliseconds timeout) {
  std::set<std::string> missing;
  for (const auto& message : produced) missing.insert(message.ids.begin(), message.ids.end());
  size_t recorded_seen = 0;
  size_t dlq_seen = 0;
  return wait_until(
      [&] {
        // Only look at what arrived since the last pass.
        const auto lines = emulator.recorded_events();
        for (size_t i = recorded_seen; i < lines.size(); ++i) {
          for (const auto& id : ids_in(lines[i])) missing.erase(id);
        }
        recorded_seen = lines.size();
        dlq.poll(0ms);
        const auto& records = dlq.records();
        for (size_t i = dlq_seen; i < records.size(); ++i) {
          for (const auto& id : records[i].ids) missing.erase(id);
        }
        dlq_seen = records.size();
        return missing.empty();
      },
      timeout, 50ms);
}

void wait_for_quiet(const emulator::Emulator& emulator, std::chrono::milliseconds quiet) {
  size_t last = emulator.accepted_events();
  auto since = std::chrono::steady_clock::now();
  wait_until(
      [&] {
        const size_t now_count = emulator.accepted_events();
        const auto now = std::chrono::steady_clock::now();
        if (now_count != last) {
          last = now_count;
          since = now;
        }
        return now - since >= quiet;
      },
      30s, 20ms);
}

uint64_t status_count(const emulator::Emulator& emulator, int status) {
  const auto stats = emulator.stats();
  auto it = stats.by_status.find(status);
  return it == stats.by_status.end() ? 0 : it->second;
}

std::optional<HttpReply> http_get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  auto response = client.Get(path.c_str());
  if (!response) return std::nullopt;
  return HttpReply{response->status, response->body};
}

int free_port() {
  const int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(sock);
  return port;
}

}  // namespace cdp_relay::integration
