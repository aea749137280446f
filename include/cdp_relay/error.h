// Stable error vocabulary shared by every stage.
//
// Invariant: the snake_case names returned by to_string(Reason) are part of the
// public contract (the DLQ header `cdp.error.reason`, the `reason` metric label,
// the `transform` command's stderr). Values may be added; never rename one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cdp_relay {

// Where in the pipeline an event failed (DLQ header `cdp.error.stage`).
enum class Stage : uint8_t { kDecode, kValidate, kTransform, kDeliver };

enum class Reason : uint8_t {
  // Decode and validation reasons (README "Dead-letter topic").
  kInvalidJson,
  kUnknownFormat,
  kMissingIdentity,
  kMissingTimestamp,
  kBadTimestamp,
  kTooLarge,
  kTooDeep,
  kUnsupportedType,
  kInvalidUtf8,
  kTooManyItems,
  kMissingEventName,  // a track without `event`, a custom_event without event_name
  // Delivery reasons (README "Delivery", response classes).
  kRejectedByDestination,  // 400/422 isolated to this event by bisection
  kClientError,            // any other non-retryable 4xx
  kRetriesExhausted,       // max_retry_duration elapsed
  kEventTooLarge,          // a single encoded event exceeds the batch byte bound
  kCount,                  // not a reason: how many there are
};

inline constexpr size_t kReasonCount = static_cast<size_t>(Reason::kCount);

std::string_view to_string(Stage stage);
std::string_view to_string(Reason reason);

// One failure, with enough context for the DLQ headers and the logs.
// REQUIRES: `message` never contains a secret; callers build it from event
// data and status codes only, never from URLs or configuration.
struct Error {
  Stage stage = Stage::kDecode;
  Reason reason = Reason::kInvalidJson;
  std::string message;
  std::optional<int> http_status;
  int attempts = 0;
};

// Longest Error::message as it leaves the relay (cdp.error.message); a
// response body quoted in one is trimmed to half of it.
inline constexpr size_t kMaxErrorMessageBytes = 1024;

}  // namespace cdp_relay
