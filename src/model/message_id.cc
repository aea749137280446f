#include "model/message_id.h"

#include <cstdint>

namespace cdp_relay::model {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

uint64_t fnv1a(uint64_t hash, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

std::string synthesize_message_id(const Origin& origin) {
  uint64_t hash = fnv1a(kFnvOffset, origin.topic.data(), origin.topic.size());
  // Hash the integers in a fixed little-endian layout so ids are portable.
  const uint64_t fields[3] = {static_cast<uint32_t>(origin.partition),
                              static_cast<uint64_t>(origin.offset), origin.index};
  for (uint64_t field : fields) {
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(field >> (8 * i));
    hash = fnv1a(hash, le, sizeof le);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "cdp-";
  for (int shift = 60; shift >= 0; shift -= 4) id.push_back(kHex[(hash >> shift) & 0xF]);
  return id;
}

}  // namespace cdp_relay::model
