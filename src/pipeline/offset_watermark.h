// Per-partition tracking of in-flight messages and the contiguous offset
// watermark (the heart of at-least-once: docs/architecture.md
// "Delivery semantics").
//
// Invariants:
//  - The watermark never passes an unresolved offset: committable() is the
//    offset of the oldest message that still has an unresolved output, or one
//    past the newest tracked message when all are resolved.
//  - A message counts as resolved only once it is sealed (all its outputs are
//    registered) and its pending output count is back to zero, so a message
//    whose first output resolves before its last is registered cannot slip by.
//  - Once a partition is revoked its offsets are never stored again:
//    after revoke(), committable() answers nullopt.
//  - A resolved message behind an unresolved one stays tracked (it holds the
//    watermark's place) but lets go of its bytes at once, and no longer
//    counts as in flight: only an unresolved message can still need its key
//    and value (for a dead letter). inflight_messages()/inflight_bytes()
//    count the unresolved; tracked_messages() the whole watermark gap.
//
// Not thread-safe: the pipeline loop owns every PartitionTracker; HTTP and
// Kafka completions are funnelled to that loop before they touch a tracker.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pipeline/source.h"

namespace cdp_relay::pipeline {

// One consumed message while any of its outputs is unresolved. It keeps the
// original key and value because a late delivery failure dead-letters them:
// `key` and `value` view the bytes `owner` keeps alive (no copy).
struct InflightMessage {
  int64_t offset = 0;
  int pending = 0;      // outputs registered and not yet resolved
  bool sealed = false;  // all outputs registered
  int64_t kafka_timestamp_ms = -1;
  MessageOwner owner;  // empty when key/value view other storage, and once detached
  std::string_view key;
  std::string_view value;
  bool has_key = false;

  // Copies key and value out of the source's buffer and gives the buffer
  // back. The pipeline does it to a message still unresolved a while after
  // it was consumed (PartitionTracker::detach_held_since_last_sweep): a
  // librdkafka message pins the whole buffer it was fetched in (a fetch
  // response or a decompressed message set, tens to hundreds of KB), so
  // thousands of long-held messages scattered over many buffers (a hot
  // user's, behind its own earlier batches) hold several times their own
  // bytes, which max_inflight_bytes cannot see. Messages that resolve soon,
  // nearly all of them against a fast destination, are never copied: they
  // pin only the buffers being consumed anyway. And rd_kafka_destroy()
  // blocks while any message of its handle is alive.
  void detach_from_consumer();
  // Lets go of the message and its bytes (it is resolved: nothing needs them).
  void release_bytes();

 private:
  std::unique_ptr<std::string> detached_;  // key then value
};

class PartitionTracker {
 public:
  PartitionTracker(std::string topic, int32_t partition)
      : topic_(std::move(topic)), partition_(partition) {}

  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }

  // Starts tracking a consumed message. REQUIRES: offsets increase per call.
  InflightMessage& track(int64_t offset);
  // The in-flight message at `offset`, or nullptr once it has been released.
  InflightMessage* find(int64_t offset);

  // Registers one more output of the message at `offset`.
  void add_output(int64_t offset);
  // All outputs of the message are registered.
  void seal(int64_t offset);
  // One output of the message at `offset` is resolved (delivered or
  // acknowledged by the DLQ producer).
  void resolve_output(int64_t offset);

  // The offset to store/commit: everything below it is fully resolved.
  // nullopt until the first message has been released, and once revoked.
  std::optional<int64_t> committable() const;
  // True when committable() moved since the last mark_stored().
  bool has_new_committable() const;
  void mark_stored(int64_t offset) { stored_ = offset; }

  // Messages with an output still unresolved, and their key and value bytes.
  size_t inflight_messages() const { return unresolved_; }
  size_t inflight_bytes() const { return inflight_bytes_; }
  // Every message from the watermark to the newest consumed, resolved or not.
  size_t tracked_messages() const { return inflight_.size(); }

  // Detaches every in-flight message from the consumer (see
  // InflightMessage::detach_from_consumer).
  void detach_from_consumer();
  // Detaches the unresolved messages that were already tracked at the
  // previous call, then notes the newest tracked now. Called once a period,
  // it lets a message keep the source's buffer for one to two periods; each
  // message is visited by one call at most.
  void detach_held_since_last_sweep();

  // The partition went to another member: nothing of it is stored again.
  void revoke() { revoked_ = true; }

 private:
  // Pops resolved messages off the front, moving the watermark.
  void advance();
  // The first tracked message whose offset is `offset` or more (binary search).
  std::deque<InflightMessage>::iterator first_at_or_after(int64_t offset);
  // The message's last output resolved (or it had none): it is done.
  void on_resolved(InflightMessage& message);

  std::string topic_;
  int32_t partition_;
  std::deque<InflightMessage> inflight_;  // ordered by offset
  std::optional<int64_t> next_after_released_;  // one past the newest released offset
  std::optional<int64_t> stored_;
  size_t inflight_bytes_ = 0;  // of unresolved messages
  size_t unresolved_ = 0;
  bool revoked_ = false;
  // detach_held_since_last_sweep(): messages below detached_below_ are
  // detached or released; the newest offset tracked at the last sweep.
  int64_t detached_below_ = 0;
  std::optional<int64_t> newest_at_last_sweep_;
};

}  // namespace cdp_relay::pipeline
