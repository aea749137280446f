#include "kafka_sinks/kafka_writer.h"

#include <algorithm>
#include <stdexcept>

#include "obs/kafka_log.h"
#include "obs/log.h"
#include "obs/metrics.h"
#include "util/rdkafka_conf.h"

namespace cdp_relay::kafka_sinks {
namespace {

constexpr std::chrono::milliseconds kFirstRetry{100};
constexpr std::chrono::milliseconds kMaxRetry{5000};

}  // namespace

std::chrono::milliseconds retry_delay(int attempts) {
  const int shift = std::min(attempts, 6);
  return std::min(kMaxRetry, kFirstRetry * (1 << shift));
}

KafkaWriter::KafkaWriter(const std::map<std::string, std::string>& properties, std::string name,
                         std::string topic, const Clock& clock, obs::KafkaSinkMetrics* metrics)
    : name_(std::move(name)), topic_(std::move(topic)), clock_(clock), metrics_(metrics) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : properties) {
    util::set_kafka_property(conf, key, value, name_ + " producer");
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &KafkaWriter::on_delivery);
  rd_kafka_conf_set_opaque(conf, this);
  obs::route_kafka_logs(conf);
  char errstr[512];
  producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (producer_ == nullptr) throw std::runtime_error(name_ + " producer: " + errstr);
  obs::name_kafka_client(producer_, name_);
  reports_ = rd_kafka_queue_get_main(producer_);
  rd_kafka_queue_io_event_enable(reports_, wake_.write_fd(), "1", 1);
}

KafkaWriter::~KafkaWriter() {
  if (producer_ != nullptr) {
    rd_kafka_queue_io_event_enable(reports_, -1, nullptr, 0);  // the pipe closes after us
    rd_kafka_queue_destroy(reports_);
    rd_kafka_flush(producer_, 1000);
    rd_kafka_destroy(producer_);
    obs::forget_kafka_client(producer_);
  }
}

std::map<std::string, std::string> KafkaWriter::effective_properties() const {
  return util::effective_kafka_properties(producer_);
}

bool KafkaWriter::warm_up(std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_, topic_.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(producer_, 0, handle, &metadata, static_cast<int>(timeout.count()));
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(handle);
  return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

void KafkaWriter::submit(pipeline::Output output) {
  const uint64_t token = next_token_++;
  auto [it, inserted] = records_.emplace(token, Pending{std::move(output), 0, {}});
  if (!try_produce(token, it->second)) waiting_.push_back(token);
}

bool KafkaWriter::try_produce(uint64_t token, Pending& pending) {
  const pipeline::Output& record = pending.record;
  rd_kafka_headers_t* headers = rd_kafka_headers_new(record.headers.size());
  for (const auto& [name, value] : record.headers) {
    rd_kafka_header_add(headers, name.c_str(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  const void* key = record.key ? record.key->data() : nullptr;
  const size_t key_size = record.key ? record.key->size() : 0;
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      producer_, RD_KAFKA_V_TOPIC(topic_.c_str()),
      RD_KAFKA_V_KEY(const_cast<void*>(key), key_size),
      RD_KAFKA_V_VALUE(const_cast<char*>(record.payload.data()), record.payload.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(token))), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;  // headers now belong to librdkafka
  rd_kafka_headers_destroy(headers);
  ++pending.attempts;
  if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) count_produce_error(rd_kafka_err2name(err));
  pending.retry_at = clock_.now() + retry_delay(pending.attempts);
  return false;
}

void KafkaWriter::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<KafkaWriter*>(opaque);
  const auto token = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(message->_private));
  auto it = self->records_.find(token);
  if (it == self->records_.end()) return;
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->stats_.produced;
    if (self->metrics_ != nullptr) self->metrics_->acked.Increment();
    if (self->acked_sink_ != nullptr) {
      pipeline::Outcome outcome;
      outcome.kind = pipeline::Outcome::Kind::kAcknowledged;
      outcome.ref = std::move(it->second.record.ref);
      outcome.payload = std::move(it->second.record.payload);
      self->acked_sink_->push_back(std::move(outcome));
    }
    self->records_.erase(it);
    return;
  }
  // Failed after librdkafka's own retries (message.timeout.ms): keep it and
  // produce it again later. Never drop (see the header).
  self->count_produce_error(rd_kafka_err2name(message->err));
  ++it->second.attempts;
  it->second.retry_at = self->clock_.now() + retry_delay(it->second.attempts);
  self->waiting_.push_back(token);
}

void KafkaWriter::count_produce_error(const char* error_name) {
  ++stats_.produce_errors;
  if (metrics_ != nullptr) metrics_->produce_errors.Increment();
  obs::log(obs::LogLevel::kWarn, "kafka produce failed; the record will be produced again",
           {{"sink", name_}, {"error", error_name}});
}

void KafkaWriter::add_wait(util::WaitSet& wait) const {
  wait.watch(wake_.read_fd(), POLLIN);
  if (waiting_.empty()) return;
  // The first waiting record decides (poll() re-produces in order).
  auto it = records_.find(waiting_.front());
  if (it == records_.end()) {
    wait.wake_now();
    return;
  }
  wait.wake_at(it->second.retry_at);
}

void KafkaWriter::poll(std::vector<pipeline::Outcome>& acked) {
  wake_.drain();  // first: a report queued after the serving below signals again
  acked_sink_ = &acked;
  rd_kafka_poll(producer_, 0);
  acked_sink_ = nullptr;
  // Re-produce what is due, oldest first; stop at the first that is not due
  // or cannot be queued, to keep order and not spin on a full queue.
  const auto now = clock_.now();
  while (!waiting_.empty()) {
    auto it = records_.find(waiting_.front());
    if (it == records_.end()) {
      waiting_.pop_front();
      continue;
    }
    if (it->second.retry_at > now) break;
    if (!try_produce(it->first, it->second)) break;
    waiting_.pop_front();
  }
  if (metrics_ != nullptr) metrics_->pending.Set(static_cast<double>(records_.size()));
}

void KafkaWriter::flush(std::chrono::milliseconds timeout,
                        std::vector<pipeline::Outcome>& acked) {
  // Counted in librdkafka's own waits, not on the clock: this blocks for
  // real, and a test's manual clock would never reach a deadline.
  constexpr std::chrono::milliseconds kStep{50};
  for (auto waited = std::chrono::milliseconds(0); !records_.empty() && waited < timeout;
       waited += kStep) {
    acked_sink_ = &acked;
    rd_kafka_poll(producer_, static_cast<int>(kStep.count()));
    acked_sink_ = nullptr;
    poll(acked);
  }
}

}  // namespace cdp_relay::kafka_sinks
