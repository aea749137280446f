#include "replay/replay_job.h"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cdp_relay/output_ref.h"
#include "delivery/rate_limiter.h"
#include "kafka_sinks/kafka_writer.h"
#include "obs/kafka_log.h"
#include "obs/log.h"
#include "replay/replay_headers.h"
#include "pipeline/offset_watermark.h"
#include "source/kafka_message.h"
#include "util/rdkafka_conf.h"

namespace cdp_relay::replay {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kConsumePoll{50};
constexpr milliseconds kCommitInterval{1000};
constexpr milliseconds kBackpressureSleep{5};
constexpr milliseconds kMaxRateSleep{20};

int timeout_ms(milliseconds timeout) { return static_cast<int>(timeout.count()); }

std::string seconds_text(milliseconds timeout) {
  const auto ms = timeout.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

std::string window_bound(const std::optional<int64_t>& bound) {
  return bound ? std::to_string(*bound) : std::string("none");
}

struct TopicPartitionList {
  explicit TopicPartitionList(int size) : list(rd_kafka_topic_partition_list_new(size)) {}
  ~TopicPartitionList() { rd_kafka_topic_partition_list_destroy(list); }
  TopicPartitionList(const TopicPartitionList&) = delete;
  TopicPartitionList& operator=(const TopicPartitionList&) = delete;
  rd_kafka_topic_partition_list_t* list;
};

Headers headers_of(const rd_kafka_message_t& message) {
  Headers headers;
  rd_kafka_headers_t* raw = nullptr;
  // rd_kafka_message_headers() keeps ownership; the record has none otherwise.
  if (rd_kafka_message_headers(&message, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return headers;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(raw, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
    // A null header value comes back empty: the producer API has no way to
    // tell the two apart in kafka_sinks::Headers.
    headers.emplace_back(name, value == nullptr ? std::string()
                                                : std::string(static_cast<const char*>(value), size));
  }
  return headers;
}

// The replay's consumer: assigned partitions, offsets committed by hand.
class Consumer {
 public:
  Consumer(const std::map<std::string, std::string>& properties, const std::string& group) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const std::string& key, const std::string& value) {
      util::set_kafka_property(conf, key, value, "kafka consumer settings");
    };
    for (const auto& [key, value] : properties) set(key, value);
    // Enforced over the pass-through: the replay's guarantees depend on them.
    set("group.id", group);
    set("enable.auto.commit", "false");
    set("enable.auto.offset.store", "false");
    // EOF events end a partition even when its last offsets are not records
    // (transaction markers, compaction).
    set("enable.partition.eof", "true");
    // Only used if a start offset vanished under retention meanwhile.
    set("auto.offset.reset", "earliest");
    obs::route_kafka_logs(conf);
    char errstr[512];
    handle_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (handle_ == nullptr) throw std::runtime_error(std::string("kafka consumer: ") + errstr);
    obs::name_kafka_client(handle_, "replay");
    rd_kafka_poll_set_consumer(handle_);
  }
  ~Consumer() {
    rd_kafka_consumer_close(handle_);
    rd_kafka_destroy(handle_);
    obs::forget_kafka_client(handle_);
  }
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  rd_kafka_t* handle() { return handle_; }

  // The partition ids of `topic`. Throws with an operator-facing message when
  // no broker answers or the topic does not exist.
  std::vector<int32_t> partitions(const std::string& topic, milliseconds timeout) {
    // All topics rather than this one: a request naming a topic may create
    // it on a broker with auto.create.topics.enable (the mock cluster does),
    // and a replay must never create the topic it was told to read.
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(handle_, 1, nullptr, &metadata, timeout_ms(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("no answer from the Kafka brokers within " + seconds_text(timeout) +
                               " (" + rd_kafka_err2name(err) + ")");
    }
    std::vector<int32_t> ids;
    rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& entry = metadata->topics[i];
      if (topic != entry.topic) continue;
      topic_err = entry.err;
      for (int p = 0; p < entry.partition_cnt; ++p) ids.push_back(entry.partitions[p].id);
    }
    rd_kafka_metadata_destroy(metadata);
    if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || (topic_err == 0 && ids.empty())) {
      throw std::runtime_error("topic \"" + topic + "\" does not exist");
    }
    if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("topic \"" + topic + "\": " + rd_kafka_err2str(topic_err));
    }
    return ids;
  }

 private:
  rd_kafka_t* handle_ = nullptr;
};

struct PartitionState {
  PartitionProgress progress;
  std::shared_ptr<pipeline::PartitionTracker> tracker;
  bool done = false;
};

class Run {
 public:
  Run(const KafkaClientProperties& properties, const ReplayOptions& options, const Clock& clock,
      ReplayReport& report)
      : properties_(properties),
        options_(options),
        clock_(clock),
        report_(report),
        limiter_(options.rate_per_s, clock) {}

  void execute(const std::atomic<bool>& stop);

 private:
  void plan();
  void assign();
  void loop(const std::atomic<bool>& stop);
  void drain();
  // Commits every partition whose watermark moved. False (and logs) on failure.
  bool commit();

  void handle(const rd_kafka_message_t& message, const std::atomic<bool>& stop);
  // Waits for a --rate token; false when `stop` was set meanwhile.
  bool acquire_token(const std::atomic<bool>& stop);
  void poll_writer();
  void finish_partition(PartitionState& state);
  void finish_all();
  bool all_done() const;
  void fail(std::string error) {
    if (failure_.empty()) failure_ = std::move(error);
  }

  const KafkaClientProperties& properties_;
  const ReplayOptions& options_;
  const Clock& clock_;
  ReplayReport& report_;
  delivery::RateLimiter limiter_;
  std::unique_ptr<Consumer> consumer_;
  std::unique_ptr<kafka_sinks::KafkaWriter> writer_;
  std::map<int32_t, PartitionState> partitions_;
  std::vector<pipeline::Outcome> acked_;
  Clock::time_point last_progress_{};
  std::string failure_;
};

void Run::execute(const std::atomic<bool>& stop) {
  try {
    consumer_ = std::make_unique<Consumer>(properties_.consumer, options_.group);
    plan();
    if (!options_.dry_run) {
      auto producer = properties_.producer;
      producer["enable.idempotence"] = "true";  // acks=all, no duplicates from retries
      writer_ = std::make_unique<kafka_sinks::KafkaWriter>(producer, "replay", options_.to_topic,
                                                           clock_);
      if (!writer_->warm_up(options_.timeout)) {
        throw std::runtime_error("no metadata for topic \"" + options_.to_topic + "\" within " +
                                 seconds_text(options_.timeout));
      }
    }
  } catch (const std::exception& error) {
    report_.outcome = Outcome::kFailed;
    report_.error = error.what();
    return;
  }
  obs::log(obs::LogLevel::kInfo, "replay started",
           {{"from", options_.from_topic},
            {"to", options_.to_topic},
            {"group", options_.group},
            {"filter", options_.selector.filter().describe()},
            {"since_ms", window_bound(options_.selector.window().since_ms)},
            {"until_ms", window_bound(options_.selector.window().until_ms)},
            {"dry_run", options_.dry_run ? "true" : "false"}});
  if (!all_done()) {
    assign();
    loop(stop);
  }
  drain();
  if (!options_.dry_run && !commit()) fail("committing the replay group's offsets failed");
  for (auto& [id, state] : partitions_) {
    report_.partitions.push_back(state.progress);
  }
  if (!failure_.empty()) {
    report_.outcome = Outcome::kFailed;
    report_.error = failure_;
  } else if (stop.load() && !all_done()) {
    report_.outcome = Outcome::kInterrupted;
  }
}

// Resolves each partition's range: [committed offset or log start, high
// watermark now).
void Run::plan() {
  const auto ids = consumer_->partitions(options_.from_topic, options_.timeout);
  consumer_->partitions(options_.to_topic, options_.timeout);  // must exist too
  TopicPartitionList committed(static_cast<int>(ids.size()));
  for (int32_t id : ids) rd_kafka_topic_partition_list_add(committed.list, options_.from_topic.c_str(), id);
  const rd_kafka_resp_err_t err =
      rd_kafka_committed(consumer_->handle(), committed.list, timeout_ms(options_.timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("reading the committed offsets of group \"" + options_.group +
                             "\": " + rd_kafka_err2str(err));
  }
  for (int i = 0; i < committed.list->cnt; ++i) {
    const rd_kafka_topic_partition_t& entry = committed.list->elems[i];
    int64_t low = 0;
    int64_t high = 0;
    const rd_kafka_resp_err_t watermark_err = rd_kafka_query_watermark_offsets(
        consumer_->handle(), options_.from_topic.c_str(), entry.partition, &low, &high,
        timeout_ms(options_.timeout));
    if (watermark_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("reading the offsets of " + options_.from_topic + " partition " +
                               std::to_string(entry.partition) + ": " +
                               rd_kafka_err2str(watermark_err));
    }
    PartitionState state;
    state.progress.partition = entry.partition;
    state.progress.end = high;
    state.progress.start = entry.offset >= 0 ? entry.offset : low;
    if (entry.offset >= 0 && entry.offset < low) {
      obs::log(obs::LogLevel::kWarn, "replay: committed offset below the log start (retention)",
               {{"partition", std::to_string(entry.partition)},
                {"committed", std::to_string(entry.offset)},
                {"log_start", std::to_string(low)}});
      state.progress.start = low;
    }
    state.tracker =
        std::make_shared<pipeline::PartitionTracker>(options_.from_topic, entry.partition);
    state.done = state.progress.start >= high;
    partitions_.emplace(entry.partition, std::move(state));
  }
}

void Run::assign() {
  TopicPartitionList assignment(static_cast<int>(partitions_.size()));
  for (const auto& [id, state] : partitions_) {
    if (state.done) continue;
    rd_kafka_topic_partition_list_add(assignment.list, options_.from_topic.c_str(), id)->offset =
        state.progress.start;
  }
  const rd_kafka_resp_err_t err = rd_kafka_assign(consumer_->handle(), assignment.list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(std::string("kafka assign: ") + rd_kafka_err2str(err));
}

void Run::loop(const std::atomic<bool>& stop) {
  last_progress_ = clock_.now();
  Clock::time_point last_commit = clock_.now();
  while (failure_.empty() && !stop.load() && !all_done()) {
    poll_writer();
    if (writer_ && writer_->pending() >= options_.max_inflight) {
      // Backpressure: the broker's acknowledgements set the pace.
      std::this_thread::sleep_for(kBackpressureSleep);
    } else if (rd_kafka_message_t* message =
                   rd_kafka_consumer_poll(consumer_->handle(), timeout_ms(kConsumePoll))) {
      handle(*message, stop);
      rd_kafka_message_destroy(message);
    }
    const auto now = clock_.now();
    if (!options_.dry_run && now - last_commit >= kCommitInterval) {
      commit();  // a failure here is retried next interval, and fatal at the end
      last_commit = now;
    }
    if (now - last_progress_ > options_.timeout) {
      fail("no progress for " + seconds_text(options_.timeout) +
           " (brokers unreachable, or the target topic refuses records)");
    }
  }
}

void Run::handle(const rd_kafka_message_t& message, const std::atomic<bool>& stop) {
  auto it = partitions_.find(message.partition);
  if (message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (it != partitions_.end() && message.offset >= it->second.progress.end) {
      finish_partition(it->second);
    }
    return;
  }
  if (message.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    char reason[256];
    if (rd_kafka_fatal_error(consumer_->handle(), reason, sizeof reason) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      fail(std::string("kafka consumer: ") + reason);
      return;
    }
    // librdkafka recovers from the rest itself; the stall timeout bounds it.
    obs::log(obs::LogLevel::kWarn, "replay consumer error",
             {{"error", rd_kafka_err2name(message.err)}});
    return;
  }
  if (it == partitions_.end()) return;
  PartitionState& state = it->second;
  // Past the end seen at start (records dead-lettered meanwhile) or after a
  // stop: not ours; left for the next run.
  if (state.done || message.offset >= state.progress.end) {
    finish_partition(state);
    return;
  }
  last_progress_ = clock_.now();
  const Headers headers = headers_of(message);
  rd_kafka_timestamp_type_t timestamp_type;
  const int64_t timestamp = rd_kafka_message_timestamp(&message, &timestamp_type);
  const Verdict verdict = options_.selector.select(headers, timestamp);
  if (verdict == Verdict::kAfterWindow) {
    // Neither counted nor tracked: this record and the rest of the partition
    // stay unconsumed for the group.
    state.progress.stopped_at_until = true;
    finish_partition(state);
    return;
  }
  std::optional<std::string> key;
  if (message.key != nullptr) key.emplace(source::key_of(message));
  const std::string reason = header_value(headers, kReasonHeader, "(none)");
  if (verdict == Verdict::kReplay && !options_.dry_run && !acquire_token(stop)) return;

  ++report_.read;
  pipeline::PartitionTracker& tracker = *state.tracker;
  tracker.track(message.offset);
  switch (verdict) {
    case Verdict::kBeforeWindow: ++report_.before_window; break;
    case Verdict::kFilteredOut: ++report_.filtered_out; break;
    case Verdict::kAfterWindow: break;  // handled above
    case Verdict::kReplay: {
      ++report_.selected;
      ++report_.selected_by_reason[reason];
      if (report_.samples.size() < options_.samples) {
        report_.samples.push_back(RecordSample{key, message.partition, message.offset, reason});
      }
      if (options_.dry_run) break;
      tracker.add_output(message.offset);
      pipeline::Output record;
      record.key = std::move(key);
      record.payload = source::payload_of(message);
      record.headers = replay_headers(
          headers, RecordPosition{options_.from_topic, message.partition, message.offset});
      record.ref = OutputRef{state.tracker, message.offset, 0};
      writer_->submit(std::move(record));
      break;
    }
  }
  tracker.seal(message.offset);
  if (message.offset + 1 >= state.progress.end) finish_partition(state);
  if (options_.max_events > 0 && report_.selected >= options_.max_events) {
    report_.max_events_reached = true;
    finish_all();
  }
}

bool Run::acquire_token(const std::atomic<bool>& stop) {
  while (!limiter_.try_acquire()) {
    if (stop.load()) return false;
    poll_writer();
    std::this_thread::sleep_for(std::min(limiter_.time_until_available(), kMaxRateSleep));
  }
  last_progress_ = clock_.now();  // waiting for a token is not a stall
  return true;
}

void Run::poll_writer() {
  if (!writer_) return;
  acked_.clear();
  writer_->poll(acked_);
  if (acked_.empty()) return;
  last_progress_ = clock_.now();
  for (const auto& acked : acked_) acked.ref.partition->resolve_output(acked.ref.offset);
  report_.replayed += acked_.size();
}

// Waits, bounded by the timeout since the last acknowledgement, for every
// produced record: only acknowledged records may be committed past.
void Run::drain() {
  if (!writer_) return;
  last_progress_ = clock_.now();
  while (writer_->pending() > 0 && clock_.now() - last_progress_ <= options_.timeout) {
    acked_.clear();
    writer_->flush(milliseconds(100), acked_);
    if (acked_.empty()) continue;
    last_progress_ = clock_.now();
    for (const auto& acked : acked_) acked.ref.partition->resolve_output(acked.ref.offset);
    report_.replayed += acked_.size();
  }
  if (writer_->pending() > 0) {
    fail(std::to_string(writer_->pending()) + " record(s) not acknowledged by \"" +
         options_.to_topic + "\" within " + seconds_text(options_.timeout) +
         "; they will be replayed again by the next run");
  }
}

bool Run::commit() {
  TopicPartitionList offsets(static_cast<int>(partitions_.size()));
  std::vector<std::pair<PartitionState*, int64_t>> moved;
  for (auto& [id, state] : partitions_) {
    if (!state.tracker->has_new_committable()) continue;
    const int64_t offset = *state.tracker->committable();
    rd_kafka_topic_partition_list_add(offsets.list, options_.from_topic.c_str(), id)->offset =
        offset;
    moved.emplace_back(&state, offset);
  }
  if (moved.empty()) return true;
  const rd_kafka_resp_err_t err = rd_kafka_commit(consumer_->handle(), offsets.list, 0);
  bool ok = err == RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; ok && i < offsets.list->cnt; ++i) ok = offsets.list->elems[i].err == 0;
  if (!ok) {
    obs::log(obs::LogLevel::kWarn, "replay commit failed",
             {{"group", options_.group}, {"error", rd_kafka_err2name(err)}});
    return false;
  }
  for (auto& [state, offset] : moved) {
    state->tracker->mark_stored(offset);
    state->progress.committed = offset;
  }
  return true;
}

void Run::finish_partition(PartitionState& state) {
  if (state.done) return;
  state.done = true;
  TopicPartitionList list(1);
  rd_kafka_topic_partition_list_add(list.list, options_.from_topic.c_str(),
                                    state.progress.partition);
  rd_kafka_pause_partitions(consumer_->handle(), list.list);
}

void Run::finish_all() {
  for (auto& [id, state] : partitions_) finish_partition(state);
}

bool Run::all_done() const {
  for (const auto& [id, state] : partitions_) {
    if (!state.done) return false;
  }
  return true;
}

}  // namespace

ReplayJob::ReplayJob(KafkaClientProperties properties, ReplayOptions options, const Clock& clock)
    : properties_(std::move(properties)), options_(std::move(options)), clock_(clock) {}

ReplayReport ReplayJob::run(const std::atomic<bool>& stop) {
  ReplayReport report;
  report.from_topic = options_.from_topic;
  report.to_topic = options_.to_topic;
  report.group = options_.group;
  report.dry_run = options_.dry_run;
  Run run(properties_, options_, clock_, report);
  run.execute(stop);
  return report;
}

}  // namespace cdp_relay::replay
