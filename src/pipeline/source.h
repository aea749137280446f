// What the pipeline loop needs from its input: a consumer-group source of
// messages whose offsets it stores and commits itself, which it can pause for
// backpressure and whose readiness it can wait on. source::KafkaSource
// implements it over librdkafka; tests implement it with a fake that feeds
// bytes from memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/wait_set.h"

namespace cdp_relay::pipeline {

// Gives a consumed message's bytes back to the source that lent them (a
// librdkafka message, a test's buffer). A plain function pointer: wrapping
// each message in an allocated deleter object would cost an allocation per
// message on the hot path.
struct ReleaseMessage {
  void (*release)(void*) = nullptr;
  void operator()(void* bytes) const {
    if (release != nullptr) release(bytes);
  }
};
using MessageOwner = std::unique_ptr<void, ReleaseMessage>;

// One consumed message. `topic`, `key` and `value` view bytes kept alive by
// `owner` (never copied on the hot path); with an empty owner they view
// storage the source keeps alive itself.
struct ConsumedMessage {
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::optional<std::string_view> key;  // nullopt: the message has no key
  std::string_view value;
  int64_t timestamp_ms = -1;  // the Kafka timestamp, -1 when unknown
  MessageOwner owner;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = -1;
  bool operator==(const TopicPartition&) const = default;
};

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

enum class CommitResult { kCommitted, kFailed, kTimedOut };

// Told about assignment changes, on the loop's thread, from inside
// Source::poll() (and Source::close(), for the final revoke).
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void on_assigned(const std::vector<TopicPartition>& partitions) = 0;
  // Before `partitions` are released. The listener drains their in-flight work
  // (bounded), stores and commits their offsets (unless `lost`: then another
  // member may already own them, and nothing of theirs may be committed).
  virtual void on_revoking(const std::vector<TopicPartition>& partitions, bool lost) = 0;
};

class Source {
 public:
  virtual ~Source() = default;

  // The next message, without waiting; nullopt when the queue is empty.
  virtual std::optional<ConsumedMessage> poll() = 0;

  // The wait: add_wait() makes the loop's wait watch what signals a new
  // message (or rebalance); begin_serving() re-arms that signal and must be
  // called before polling until poll() returns nullopt. Stopping earlier
  // leaves work queued that will not signal: the caller must not sleep then.
  virtual void add_wait(util::WaitSet& wait) const = 0;
  virtual void begin_serving() = 0;

  // Stores `offset` (the next offset to consume) for the background commit.
  virtual void store_offset(const std::string& topic, int32_t partition, int64_t offset) = 0;
  // Commits `offsets` or, with an empty list, every stored offset, waiting at
  // most `timeout`. Not committing is safe (the next owner redelivers);
  // blocking past a deadline is not.
  virtual CommitResult commit(const std::vector<TopicPartitionOffset>& offsets,
                              std::chrono::milliseconds timeout) = 0;

  // Stops or restarts fetching from every assigned partition (backpressure).
  virtual void pause_all() = 0;
  virtual void resume_all() = 0;
  virtual bool paused() const = 0;

  // Leaves the group (its final revoke is served here) within `timeout`.
  // False when it gave up.
  virtual bool close(std::chrono::milliseconds timeout) = 0;
};

}  // namespace cdp_relay::pipeline
