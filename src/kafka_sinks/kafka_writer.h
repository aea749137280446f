// An at-least-once Kafka writer for one topic: the dead-letter topic, the
// normalized topic, a replay's target. A pipeline::Sink.
//
// Invariants:
//  - An output is reported (Outcome::Kind::kAcknowledged) only after the
//    broker acknowledged it (delivery report without error).
//  - A failed record is never dropped: it is kept and produced again after a
//    capped backoff, for as long as it takes. Its source offset therefore
//    stays unresolved, the watermark holds, in-flight grows and the consumer
//    pauses: a DLQ outage is backpressure, never loss (docs/architecture.md).
//
// Single-threaded: submit() and poll() are called from the pipeline loop;
// delivery reports are served inside poll(). Retry times are on the injected
// clock.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "cdp_relay/clock.h"
#include "pipeline/sink.h"
#include "util/wait_set.h"

namespace cdp_relay::obs {
struct KafkaSinkMetrics;
}

namespace cdp_relay::kafka_sinks {

struct KafkaWriterStats {
  uint64_t produced = 0;         // acknowledged records
  uint64_t produce_errors = 0;   // failed attempts (each is retried)
};

// How long a record waits before it is produced again after its `attempts`-th
// failed attempt: 200 ms after the first, doubling, at most 5 s.
std::chrono::milliseconds retry_delay(int attempts);

class KafkaWriter final : public pipeline::Sink {
 public:
  // Creates the producer of `topic`. `properties` are librdkafka settings
  // (bootstrap servers, pass-through keys). Throws std::runtime_error on bad
  // settings: a startup error, never on the per-event path. `metrics` may be
  // null.
  KafkaWriter(const std::map<std::string, std::string>& properties, std::string name,
              std::string topic, const Clock& clock, obs::KafkaSinkMetrics* metrics = nullptr);
  ~KafkaWriter() override;
  KafkaWriter(const KafkaWriter&) = delete;
  KafkaWriter& operator=(const KafkaWriter&) = delete;

  // The producer's effective librdkafka configuration, secrets hidden
  // (util::effective_kafka_properties).
  std::map<std::string, std::string> effective_properties() const;

  // Fetches the topic's metadata now, so that the first record is not
  // delayed by the metadata round trip. Returns false on timeout.
  bool warm_up(std::chrono::milliseconds timeout);

  // pipeline::Sink
  const std::string& name() const override { return name_; }
  // Queues a record (payload as value, key, headers). It is produced now or,
  // if librdkafka's queue is full, on a later poll().
  void submit(pipeline::Output output) override;
  // Serves delivery reports and re-produces due retries. Appends an
  // acknowledged outcome per record the broker took.
  void poll(std::vector<pipeline::Outcome>& outcomes) override;
  // Wakes the pipeline's wait when a delivery report arrives (the producer's
  // main queue writes to a pipe) or when the next failed record is due to be
  // produced again. poll() empties the pipe.
  void add_wait(util::WaitSet& wait) const override;
  // Records not yet acknowledged.
  size_t pending() const override { return records_.size(); }

  const KafkaWriterStats& stats() const { return stats_; }

  // Waits up to `timeout` (real time: it blocks in librdkafka) for every
  // pending record to be acknowledged.
  void flush(std::chrono::milliseconds timeout, std::vector<pipeline::Outcome>& outcomes);

 private:
  struct Pending {
    pipeline::Output record;
    int attempts = 0;
    Clock::time_point retry_at{};
  };
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  bool try_produce(uint64_t token, Pending& pending);
  void count_produce_error(const char* error_name);

  std::string name_;
  std::string topic_;
  const Clock& clock_;
  rd_kafka_t* producer_ = nullptr;
  rd_kafka_queue_t* reports_ = nullptr;  // the main queue: delivery reports, signalling wake_
  util::WakePipe wake_;
  uint64_t next_token_ = 1;
  std::unordered_map<uint64_t, Pending> records_;
  std::deque<uint64_t> waiting_;  // tokens to (re)produce, in order
  std::vector<pipeline::Outcome>* acked_sink_ = nullptr;  // set during poll()
  KafkaWriterStats stats_;
  obs::KafkaSinkMetrics* metrics_ = nullptr;
};

}  // namespace cdp_relay::kafka_sinks
