// Fuzz target: the Retry-After parser. The first 8 bytes are the wall clock
// (little-endian epoch ms, any int64 value), the rest is the header value.
// Checks the documented invariant: a result is within [0, kMaxRetryAfter].
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "delivery/retry_after.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  int64_t now_wall_ms = 1'700'000'000'000;
  if (size >= sizeof(now_wall_ms)) {
    std::memcpy(&now_wall_ms, data, sizeof(now_wall_ms));
    data += sizeof(now_wall_ms);
    size -= sizeof(now_wall_ms);
  }
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto wait = cdp_relay::delivery::parse_retry_after(header, now_wall_ms);
  if (wait && (wait->count() < 0 || *wait > cdp_relay::delivery::kMaxRetryAfter)) std::abort();
  (void)cdp_relay::delivery::parse_http_date_ms(header, now_wall_ms);
  return 0;
}
