// `cdp-relay run -c config.yaml [--from-timestamp T [--group NAME]
// [--allow-live-group]]`: the whole pipeline until SIGTERM/SIGINT. With
// --from-timestamp it is a back-fill (docs/backfill.md): its own consumer
// group, whose partitions start at the first offset at or after T unless the
// group already committed one.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "app/relay_config.h"

namespace cdp_relay::app {

// The back-fill flags of `run`, as given.
struct BackfillFlags {
  std::string from_timestamp;  // --from-timestamp: ms since the epoch or RFC 3339
  std::string group;           // --group: default <kafka.group_id>-backfill-<T in ms>
  bool allow_live_group = false;
};

// Earliest --from-timestamp accepted: 2000-01-01T00:00:00Z. An earlier value
// is nearly always seconds given for milliseconds, which would re-send the
// whole retained log.
inline constexpr int64_t kEarliestBackfillMs = 946'684'800'000;

// Applies `flags` to `config` (kafka.group_id, kafka.start_from_timestamp_ms).
// Returns a usage error (exit 2) instead when T is unreadable, before 2000 or
// after `now_ms`, or when the group is the live kafka.group_id without
// --allow-live-group. No flags given: nothing changes.
std::optional<std::string> apply_backfill_flags(const BackfillFlags& flags, RelayConfig& config,
                                                int64_t now_ms);

// Returns the process exit code: 0 after a clean drain and commit, 1 on a
// startup or runtime error.
int run_relay(const RelayConfig& config);

// Installs SIGINT/SIGTERM handlers: the first sets the returned flag (drain
// and exit), the second exits the process at once.
const std::atomic<bool>& install_stop_signals();

}  // namespace cdp_relay::app
