// Loading a short byte range as one 64-bit word, for SWAR scans and hashing of
// short strings (JSON escaping, the Vidora encoder's key set).
//
// Why not memcpy(&word, p, n): with a variable n it becomes a call that stores
// the bytes one piece at a time, and the following 8-byte load of `word` cannot
// be forwarded from those narrower stores, a stall on every short string
// append_json_string scans.
// Fixed-size overlapping loads have no such stall.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace cdp_relay::util {

inline uint64_t load_u64(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

inline uint32_t load_u32(const char* p) {
  uint32_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

// A word whose bytes are all taken from p[0, n) (n <= 8), covering every one of
// them, some possibly twice; the bytes not needed for that are `fill`'s. Reads
// nothing outside p[0, n). Deterministic for a given (bytes, n), and distinct
// byte strings of one length give distinct words, so it can feed a hash.
inline uint64_t load_short(const char* p, size_t n, uint64_t fill) {
  if (n >= 8) return load_u64(p);
  if (n >= 4) {  // two overlapping 4-byte loads cover 4..7 bytes
    return static_cast<uint64_t>(load_u32(p)) |
           (static_cast<uint64_t>(load_u32(p + n - 4)) << 32);
  }
  if (n == 0) return fill;
  // 1..3 bytes: first, middle and last cover them all.
  const auto first = static_cast<unsigned char>(p[0]);
  const auto middle = static_cast<unsigned char>(p[n / 2]);
  const auto last = static_cast<unsigned char>(p[n - 1]);
  return (fill & ~uint64_t{0xFFFFFF}) | first | (uint64_t{middle} << 8) | (uint64_t{last} << 16);
}

// a[0, n) == b[0, n). Member names and the names looked up among them are
// short: up to 16 bytes, two word compares instead of a memcmp call.
inline bool equal_bytes(const char* a, const char* b, size_t n) {
  if (n <= 8) return load_short(a, n, 0) == load_short(b, n, 0);
  if (n <= 16) return load_u64(a) == load_u64(b) && load_u64(a + n - 8) == load_u64(b + n - 8);
  return std::memcmp(a, b, n) == 0;
}

inline bool equal_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && equal_bytes(a.data(), b.data(), a.size());
}

}  // namespace cdp_relay::util
