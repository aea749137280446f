// Stable names of stages and reasons. These strings are a public contract:
// DLQ headers, metric labels and CLI output carry them. Never rename one.
#include "cdp_relay/error.h"

namespace cdp_relay {

std::string_view to_string(Stage stage) {
  switch (stage) {
    case Stage::kDecode: return "decode";
    case Stage::kValidate: return "validate";
    case Stage::kTransform: return "transform";
    case Stage::kDeliver: return "deliver";
  }
  return "unknown";
}

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::kInvalidJson: return "invalid_json";
    case Reason::kUnknownFormat: return "unknown_format";
    case Reason::kMissingIdentity: return "missing_identity";
    case Reason::kMissingTimestamp: return "missing_timestamp";
    case Reason::kBadTimestamp: return "bad_timestamp";
    case Reason::kTooLarge: return "too_large";
    case Reason::kTooDeep: return "too_deep";
    case Reason::kUnsupportedType: return "unsupported_type";
    case Reason::kInvalidUtf8: return "invalid_utf8";
    case Reason::kTooManyItems: return "too_many_items";
    case Reason::kMissingEventName: return "missing_event_name";
    case Reason::kRejectedByDestination: return "rejected_by_destination";
    case Reason::kClientError: return "client_error";
    case Reason::kRetriesExhausted: return "retries_exhausted";
    case Reason::kEventTooLarge: return "event_too_large";
    case Reason::kCount: break;
  }
  return "unknown";
}

}  // namespace cdp_relay
