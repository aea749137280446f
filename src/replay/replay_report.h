// What a replay did, and the one summary line `cdp-relay replay` prints.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cdp_relay::replay {

enum class Outcome {
  kCompleted,    // every selected record acknowledged, offsets committed
  kInterrupted,  // SIGINT/SIGTERM: acknowledged work committed, the rest left
  kFailed,       // see ReplayReport::error; acknowledged work committed
};

// A selected record, shown by --dry-run.
struct RecordSample {
  std::optional<std::string> key;  // nullopt: a null key
  int32_t partition = -1;
  int64_t offset = -1;
  std::string reason;
};

struct PartitionProgress {
  int32_t partition = -1;
  int64_t start = -1;                 // first offset to read
  int64_t end = -1;                   // high watermark at start: read below it only
  std::optional<int64_t> committed;   // what this run committed
  bool stopped_at_until = false;      // a record newer than --until stopped it
};

struct ReplayReport {
  std::string from_topic;
  std::string to_topic;
  std::string group;
  bool dry_run = false;

  Outcome outcome = Outcome::kCompleted;
  std::string error;  // kFailed: what went wrong (never a secret)

  uint64_t read = 0;           // records consumed and examined
  uint64_t selected = 0;       // inside the window and matching the filters
  uint64_t replayed = 0;       // selected and acknowledged by the target topic
  uint64_t filtered_out = 0;   // inside the window, not matching the filters
  uint64_t before_window = 0;  // older than --since
  bool max_events_reached = false;
  std::map<std::string, uint64_t> selected_by_reason;  // cdp.error.reason -> count
  std::vector<RecordSample> samples;                   // the first selected records
  std::vector<PartitionProgress> partitions;           // of the source topic
};

// One line, e.g.
//   replay raw-events.dlq -> raw-events (group cdp-relay-replay): read 300,
//   replayed 200, filtered out 90, before --since 10; by reason:
//   retries_exhausted=200; committed 0@300
std::string summary_line(const ReplayReport& report);

// A key for the terminal: at most `max_bytes`, printable ASCII kept, any
// other byte as \xNN, a null key as (null).
std::string printable_key(const std::optional<std::string>& key, size_t max_bytes = 64);

}  // namespace cdp_relay::replay
