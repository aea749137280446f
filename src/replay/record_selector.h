// Which dead letters a replay takes (docs/replay.md "Selecting records"):
// header filters (`--filter name=value`) and a Kafka-timestamp window
// (`--since`, `--until`). Pure logic: no Kafka here, so every rule is
// unit-tested without a broker.
//
// Filter semantics:
//   - filters on different header names are ANDed; repeated filters on the
//     same name are ORed: `--filter reason=a --filter reason=b
//     --filter destination=vidora` takes (reason a or b) and vidora;
//   - the short names of the dead-letter headers (stage, reason, message,
//     destination, http_status, attempts, first_attempt_ms, last_attempt_ms)
//     mean `cdp.error.<name>`: `reason=retries_exhausted` is
//     `cdp.error.reason=retries_exhausted`; any other name is literal;
//   - values match the header's bytes exactly, except that a value ending in
//     `*` matches by prefix (`http_status=5*`);
//   - a record without the header does not match a filter on it; a header
//     repeated in one record matches when any of its values does;
//   - values of `cdp.error.reason` and `cdp.error.stage` must be names the
//     relay writes: a typo would otherwise select nothing while the replay
//     group's offsets still move past every record.
//
// Window semantics (both ends inclusive, Kafka record timestamps in ms):
//   - a record older than --since is skipped (and its offset committed);
//   - a record newer than --until stops its partition: it and everything after
//     it stay unconsumed for the replay group, so a later run takes them;
//   - with a window, a record without a timestamp (-1) counts as before it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka_sinks/dead_letter.h"

namespace cdp_relay::replay {

using kafka_sinks::Headers;

// One `--filter` value that matches a header value.
struct ValuePattern {
  std::string text;
  bool prefix = false;  // the argument ended in '*'

  bool matches(std::string_view value) const;
};

class HeaderFilter {
 public:
  // Adds one `name=value` argument. Returns an error message (for the
  // operator, naming the argument) or nullopt when it was accepted.
  std::optional<std::string> add(std::string_view argument);

  bool empty() const { return patterns_.empty(); }
  // AND over names, OR within a name (see the file comment).
  bool matches(const Headers& headers) const;
  // "cdp.error.reason=a|b and cdp.error.destination=vidora", or "(none)".
  std::string describe() const;
  // header name -> its patterns, for messages and the summary.
  const std::map<std::string, std::vector<ValuePattern>>& patterns() const { return patterns_; }

 private:
  std::map<std::string, std::vector<ValuePattern>> patterns_;
};

// Epoch milliseconds from a `--since`/`--until` argument: a non-negative
// integer (ms since the epoch) or an RFC 3339 date-time
// ("2024-11-20T10:00:00Z", "+01:00" offsets, fractions; a date alone is
// midnight UTC). nullopt for anything else.
std::optional<int64_t> parse_kafka_timestamp(std::string_view text);

struct TimeWindow {
  std::optional<int64_t> since_ms;  // inclusive
  std::optional<int64_t> until_ms;  // inclusive

  bool bounded() const { return since_ms || until_ms; }
};

enum class Verdict {
  kReplay,        // selected
  kFilteredOut,   // inside the window, but the header filters say no
  kBeforeWindow,  // older than --since (or no timestamp while a window is set)
  kAfterWindow,   // newer than --until: the partition stops here
};

class RecordSelector {
 public:
  RecordSelector() = default;
  RecordSelector(HeaderFilter filter, TimeWindow window)
      : filter_(std::move(filter)), window_(window) {}

  Verdict select(const Headers& headers, int64_t timestamp_ms) const;

  const HeaderFilter& filter() const { return filter_; }
  const TimeWindow& window() const { return window_; }

 private:
  HeaderFilter filter_;
  TimeWindow window_;
};

// Every `cdp.error.reason` value this relay writes, sorted.
std::vector<std::string> known_reasons();

}  // namespace cdp_relay::replay
