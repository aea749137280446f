// Lenient readers for scalars that producers disagree on the type of:
// `"consented": "true"`, `"timestamp_unixtime_ms": "1700000000000"`.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>

namespace cdp_relay::util {

// true/false, "true"/"false" (any common case), "1"/"0", or an integer.
std::optional<bool> lenient_bool(simdjson::dom::element value);

// An integer, a whole double, or a decimal string.
std::optional<int64_t> lenient_int(simdjson::dom::element value);

}  // namespace cdp_relay::util
