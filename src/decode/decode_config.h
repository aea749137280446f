// Settings of the decode stage: the input formats and the input limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cdp_relay::decode {

// The `format` of a source topic (README "Inputs").
enum class InputFormat : uint8_t { kAuto, kSegment, kMparticle };

std::string_view to_string(InputFormat format);
std::optional<InputFormat> input_format_from(std::string_view name);

// Input limits. Every limit violation is a rejection with a reason code,
// never a crash (docs/config.md `limits`).
struct DecodeLimits {
  // Largest accepted Kafka message value, in bytes. Default 1 MiB. Range > 0.
  size_t max_message_bytes = 1 << 20;
  // Deepest accepted JSON nesting (objects and arrays). Default 64. Range 1-1024.
  size_t max_depth = 64;
  // Most items in one Segment batch envelope or mParticle batch. Default 10000.
  size_t max_batch_items = 10000;
  // Longest accepted JSON string (a value or a member name), in bytes after
  // unescaping. Default 64 KiB. Range > 0. Reason `too_large`: the whole
  // message when the string is outside every batch item, else only that item.
  size_t max_string_bytes = 64 * 1024;
};

}  // namespace cdp_relay::decode
