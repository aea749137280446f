// Default status table (README "Delivery"). The choices for statuses the
// table does not name (0, 1xx, 3xx, out of range) are explained in
// response_class.h.
#include "delivery/response_class.h"

namespace cdp_relay::delivery {

std::string_view to_string(ResponseClass response_class) {
  switch (response_class) {
    case ResponseClass::kDelivered: return "delivered";
    case ResponseClass::kRetry: return "retry";
    case ResponseClass::kSplit: return "split";
    case ResponseClass::kBisect: return "bisect";
    case ResponseClass::kAuthHold: return "auth_hold";
    case ResponseClass::kDeadLetter: return "dead_letter";
  }
  return "unknown";
}

ResponseClass classify_status(int http_status) {
  if (http_status >= 200 && http_status <= 299) return ResponseClass::kDelivered;
  if (http_status >= 400 && http_status <= 499) {
    switch (http_status) {
      case 400:
      case 422:
        return ResponseClass::kBisect;
      case 401:
      case 403:
        return ResponseClass::kAuthHold;
      case 408:  // Request Timeout
      case 425:  // Too Early
      case 429:  // Too Many Requests
        return ResponseClass::kRetry;
      case 413:  // Content Too Large
        return ResponseClass::kSplit;
      default:
        return ResponseClass::kDeadLetter;
    }
  }
  if (http_status == 501) return ResponseClass::kDeadLetter;
  // 5xx, transport errors (0), 1xx, 3xx and out-of-range statuses.
  return ResponseClass::kRetry;
}

bool is_back_pressure_status(int http_status) {
  return http_status == 429 || http_status == 503 || http_status == 504 ||
         http_status == kTransportErrorStatus;
}

ResponseClass StatusClassifier::classify(int http_status) const {
  if (auto it = overrides_.find(http_status); it != overrides_.end()) return it->second;
  return classify_status(http_status);
}

}  // namespace cdp_relay::delivery
