// An at-least-once Kafka writer for the dead-letter and normalized topics.
//
// Invariants:
//  - A record's OutputRef is reported as resolved only after the broker
//    acknowledged it (delivery report without error).
//  - A failed record is never dropped: it is kept and produced again after a
//    capped backoff, for as long as it takes. Its source offset therefore
//    stays unresolved, the watermark holds, in-flight grows and the consumer
//    pauses: a DLQ outage is backpressure, never loss (docs/architecture.md).
//
// Single-threaded: produce() and poll() are called from the pipeline loop;
// delivery reports are served inside poll().
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cdp_relay/output_ref.h"
#include "kafka_sinks/dead_letter.h"
#include "obs/metrics.h"
#include "util/wait_set.h"

namespace cdp_relay::kafka_sinks {

struct OutgoingRecord {
  std::string topic;
  std::optional<std::string> key;
  std::string value;
  Headers headers;
  OutputRef ref;
};

struct KafkaWriterStats {
  uint64_t produced = 0;         // acknowledged records
  uint64_t produce_errors = 0;   // failed attempts (each is retried)
};

class KafkaWriter {
 public:
  // Creates the producer. `properties` are librdkafka settings (bootstrap
  // servers, pass-through keys). Throws std::runtime_error on bad settings:
  // a startup error, never on the per-event path. `metrics` may be null.
  KafkaWriter(const std::map<std::string, std::string>& properties, std::string name,
              obs::KafkaSinkMetrics* metrics = nullptr);
  ~KafkaWriter();
  KafkaWriter(const KafkaWriter&) = delete;
  KafkaWriter& operator=(const KafkaWriter&) = delete;

  // The producer's effective librdkafka configuration, secrets hidden
  // (util::effective_kafka_properties).
  std::map<std::string, std::string> effective_properties() const;

  // Fetches `topic`'s metadata now, so that the first record is not delayed
  // by the metadata round trip. Returns false on timeout.
  bool warm_up(const std::string& topic, std::chrono::milliseconds timeout);

  // Queues a record. It is produced now or, if librdkafka's queue is full, on
  // a later poll().
  void write(OutgoingRecord record);

  // Serves delivery reports and re-produces due retries. Appends the refs of
  // acknowledged records to `acked`.
  void poll(std::vector<OutputRef>& acked);

  // Event-driven use: wake the pipeline's wait when a delivery report
  // arrives (the producer's main queue writes to a pipe) or when the next
  // failed record is due to be produced again. poll() empties the pipe.
  void add_wait(util::WaitSet& wait) const;

  // Records not yet acknowledged.
  size_t pending() const { return records_.size(); }
  const KafkaWriterStats& stats() const { return stats_; }

  // Waits up to `timeout` for every pending record to be acknowledged.
  void flush(std::chrono::milliseconds timeout, std::vector<OutputRef>& acked);

 private:
  struct Pending {
    OutgoingRecord record;
    int attempts = 0;
    std::chrono::steady_clock::time_point retry_at{};
  };
  static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  bool try_produce(uint64_t token, Pending& pending);
  void count_produce_error(const char* error_name);

  std::string name_;
  rd_kafka_t* producer_ = nullptr;
  rd_kafka_queue_t* reports_ = nullptr;  // the main queue: delivery reports, signalling wake_
  util::WakePipe wake_;
  uint64_t next_token_ = 1;
  std::unordered_map<uint64_t, Pending> records_;
  std::deque<uint64_t> waiting_;  // tokens to (re)produce, in order
  std::vector<OutputRef>* acked_sink_ = nullptr;  // set during poll()
  KafkaWriterStats stats_;
  obs::KafkaSinkMetrics* metrics_ = nullptr;
};

}  // namespace cdp_relay::kafka_sinks
