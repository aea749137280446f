// The headers of a replayed record (docs/replay.md "What a replayed record
// carries").
//
// A dead letter's value and key are re-produced unchanged; its headers are
// rewritten:
//   - dropped: the dead-letter metadata the relay wrote (`cdp.error.*`,
//     `cdp.source.*`, `cdp.relay.version`). They describe the previous failure
//     and the previous position; if the replayed event fails again, the relay
//     writes fresh ones;
//   - kept, in order: every other header (the producer's own, or others'
//     `cdp.*` headers), repeated names included;
//   - set: `cdp.replay.count` = the record's own `cdp.replay.count` + 1 (1 for
//     a first replay), and `cdp.replay.from` = "<topic>/<partition>/<offset>"
//     of the dead letter, so a replayed event can be traced to the record it
//     came from (and to that record's error headers).
#pragma once

#include <cstdint>
#include <string>

#include "kafka_sinks/dead_letter.h"

namespace cdp_relay::replay {

using kafka_sinks::Headers;

inline constexpr const char* kReplayCountHeader = "cdp.replay.count";
inline constexpr const char* kReplayFromHeader = "cdp.replay.from";
inline constexpr const char* kReasonHeader = "cdp.error.reason";

// Where a dead letter was read.
struct RecordPosition {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

// The record's `cdp.replay.count`: 0 when absent, or when the value is not a
// non-negative decimal integer (then the count restarts; it is a marker for
// people and alerts, not a loop guard the relay enforces).
int64_t replay_count(const Headers& headers);

Headers replay_headers(const Headers& dead_letter, const RecordPosition& from);

// The value of the first header called `name`, or `fallback`.
std::string header_value(const Headers& headers, std::string_view name,
                         std::string_view fallback = {});

}  // namespace cdp_relay::replay
