// The emulator's fault script: an ordered list of rules that make the
// Vidora/Spideo emulator misbehave on purpose (docs/emulator.md:
// 429 with Retry-After, 5xx, 400 for chosen events, slow responses, resets).
//
// This file owns the script's data model, its JSON parser and rule matching.
// It holds no state of its own: the request counter, the clock origin and the
// seeded random source belong to the Emulator, which passes them in, so a
// script is a plain value that can be copied, compared and reloaded.
//
// JSON format (every key optional unless stated; unknown keys are errors, so a
// typo never silently disables a fault):
//
//   {
//     "seed": 42,                         // RNG seed for `probability` (default 0)
//     "rules": [                          // first matching rule wins
//       {
//         "match": {
//           "path_prefix": "/v1/events",  // request path (decoded) starts with this
//           "from_request": 1,            // 1-based number of the destination request
//           "count": 3,                   //   ... applies to from_request..from_request+count-1
//           "from_s": 0,                  // seconds since the script was installed, inclusive
//           "until_s": 20,                //   ... exclusive
//           "probability": 0.5            // 0..1, drawn from the seeded RNG
//         },
//         "action": {
//           "status": 429,                // respond with this status instead of the normal one
//           "retry_after": "2",           // sent verbatim as Retry-After ("2" or an HTTP-date)
//           "body": "{\"error\":\"slow down\"}",   // response body (a string, or any JSON value)
//           "delay_ms": 30000,            // wait this long first (a large value = a hanging endpoint)
//           "reset": true,                // close the connection without any response
//           "reject_events_where": {"field": "type", "equals": "poison"}
//                                         // or an array of such conditions (any one matches)
//         }
//       }
//     ]
//   }
//
// Matching: a rule matches when every condition of `match` holds. A rule with
// `reject_events_where` additionally matches only when at least one event of
// the request satisfies a condition; the response is then 400 (or `status`)
// with {"error":..., "invalid_indexes":[...]} naming exactly those events, and
// no event of the request is recorded. `probability` is drawn last, only for
// rules whose other conditions hold, so a script replays identically for the
// same request sequence. Request numbers and the time window count from the
// moment the script was installed (Emulator::start() or set_script()).
//
// Action precedence: `delay_ms` always applies first; then `reset`, then
// `reject_events_where`, then `status`. An action with only `delay_ms` delays
// and then behaves normally (key check, validation, recording).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdp_relay/clock.h"

namespace cdp_relay::emulator {

// Which requests a rule applies to. Absent fields do not constrain.
struct FaultMatch {
  std::string path_prefix;             // "" = any destination path
  uint64_t from_request = 1;           // 1-based, counted over destination requests
  std::optional<uint64_t> count;       // nullopt = every request from from_request on
  std::optional<double> from_s;        // window start, seconds since install (inclusive)
  std::optional<double> until_s;       // window end (exclusive)
  std::optional<double> probability;   // REQUIRES: 0 <= probability <= 1
};

// One "field equals value" test on an event (Vidora: a key of the flat event;
// Spideo: method, user, interaction, content_id or property).
struct EventCondition {
  std::string field;
  nlohmann::json equals;
};

// What a matching rule does. See the file comment for the precedence.
struct FaultAction {
  std::optional<int> status;                  // 100..599
  std::optional<std::string> retry_after;     // verbatim Retry-After header value
  std::optional<std::string> body;            // response body (JSON values are serialized)
  std::chrono::milliseconds delay{0};         // from "delay_ms"
  bool reset = false;                         // close the connection, no response
  std::vector<EventCondition> reject_events_where;  // any one condition rejects an event
};

struct FaultRule {
  FaultMatch match;
  FaultAction action;
};

// What the emulator knows about a request when it consults the script.
struct FaultRequest {
  std::string_view path;                 // decoded request path
  uint64_t request_number = 0;           // 1-based, destination requests since install
  std::chrono::milliseconds elapsed{0};  // since install
  // The request's events as a JSON array (Vidora: body.data; Spideo: one
  // object), or nullptr when the body could not be read as events.
  const nlohmann::json* events = nullptr;
};

// The verdict of the script for one request.
struct FaultDecision {
  const FaultRule* rule = nullptr;     // nullptr = behave normally
  std::vector<size_t> rejected_indexes;  // filled for reject_events_where rules
};

class FaultScript {
 public:
  uint64_t seed = 0;
  std::vector<FaultRule> rules;

  bool empty() const { return rules.empty(); }

  // Parses the JSON format above. On error returns nullopt and sets `error`
  // to a message naming the offending key path (e.g. "rules[2].action.status").
  static std::optional<FaultScript> parse(std::string_view json_text, std::string& error);
  // Reads and parses a file; `error` names the file on failure.
  static std::optional<FaultScript> load_file(const std::string& path, std::string& error);

  // Finds the first rule that matches `request`. Draws from `random` only for
  // rules with a `probability` whose other conditions hold.
  FaultDecision decide(const FaultRequest& request, Random& random) const;
};

}  // namespace cdp_relay::emulator
