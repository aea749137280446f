#include "destinations/vidora/flat_object_writer.h"

#include <cassert>
#include <cstdint>
#include <cstring>

#include "util/word_load.h"

namespace cdp_relay::destinations::vidora {
namespace {

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// A cheap hash for short keys: 8-byte words mixed by multiplication.
// std::hash (murmur) showed up in profiles; keys here are short and trusted
// not to be adversarial in a way that matters (a collision only costs a probe).
size_t key_hash(std::string_view key) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  uint64_t hash = key.size() * kMul;
  size_t i = 0;
  for (; i + 8 <= key.size(); i += 8) {
    hash = (hash ^ util::load_u64(key.data() + i)) * kMul;
    hash ^= hash >> 29;
  }
  if (i < key.size()) {
    hash = (hash ^ util::load_short(key.data() + i, key.size() - i, 0)) * kMul;
  }
  return static_cast<size_t>(hash ^ (hash >> 32));
}

bool already_snake_case(std::string_view key) {
  if (key.empty() || key.front() == '_' || key.back() == '_') return false;
  char previous = '\0';
  for (char c : key) {
    if (!is_lower_or_digit(c) && c != '_') return false;
    if (c == '_' && previous == '_') return false;
    previous = c;
  }
  return true;
}

}  // namespace

void append_snake_case(std::string& out, std::string_view key) {
  if (already_snake_case(key)) {  // the common case: producers mostly send snake_case
    out.append(key);
    return;
  }
  const size_t start = out.size();
  bool pending_separator = false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool upper = is_upper(c);
    if (upper || is_lower_or_digit(c) || static_cast<unsigned char>(c) >= 0x80) {
      if (upper && out.size() > start && out.back() != '_' && i > 0) {
        // A word boundary: "productId" (lower->Upper) or "HTMLParser" (the P
        // of "Parser": Upper followed by lower after an Upper run).
        const char prev = key[i - 1];
        const bool next_lower = i + 1 < key.size() && key[i + 1] >= 'a' && key[i + 1] <= 'z';
        if (is_lower_or_digit(prev) || (is_upper(prev) && next_lower)) pending_separator = true;
      }
      if (pending_separator && out.size() > start) out.push_back('_');
      pending_separator = false;
      out.push_back(upper ? static_cast<char>(c - 'A' + 'a') : c);
    } else {
      pending_separator = true;  // spaces, '-', '.', '$', '_' ... all separate words
    }
  }
}

void FlatObjectWriter::KeySet::clear() { truncate(kept_); }

void FlatObjectWriter::KeySet::truncate(size_t count) {
  // Empty only the slots in use: cheaper than wiping the table. Entries are
  // removed newest first and linear probing only ever moves a key past older
  // ones, so the remaining keys never probe past a removed one.
  assert(count >= kept_);
  if (entries_.size() <= count) return;
  for (size_t i = count; i < entries_.size(); ++i) slots_[entries_[i].slot] = 0;
  arena_.resize(entries_[count].offset);
  entries_.resize(count);
}

size_t FlatObjectWriter::KeySet::hash_of(std::string_view key) { return key_hash(key); }

size_t FlatObjectWriter::KeySet::find_slot(std::string_view key, size_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const uint32_t index = slots_[slot];
    if (index == 0) return slot;
    const Entry& entry = entries_[index - 1];
    if (entry.hash == hash &&
        std::string_view(arena_.data() + entry.offset, entry.length) == key) {
      return slot;
    }
  }
}

bool FlatObjectWriter::KeySet::contains(std::string_view key) const {
  return slots_[find_slot(key, key_hash(key))] != 0;
}

void FlatObjectWriter::KeySet::insert(std::string_view key) { try_insert(key); }

bool FlatObjectWriter::KeySet::try_insert(std::string_view key) {
  return try_insert(key, key_hash(key));
}

bool FlatObjectWriter::KeySet::try_insert(std::string_view key, size_t hash) {
  if ((entries_.size() + 1) * 2 > slots_.size()) grow();  // keep the load factor <= 1/2
  const size_t slot = find_slot(key, hash);
  if (slots_[slot] != 0) return false;
  place(key, hash, slot);
  return true;
}

void FlatObjectWriter::KeySet::place(std::string_view key, size_t hash, size_t slot) {
  entries_.push_back(Entry{hash, static_cast<uint32_t>(arena_.size()),
                           static_cast<uint32_t>(key.size()), static_cast<uint32_t>(slot)});
  arena_.append(key);
  slots_[slot] = static_cast<uint32_t>(entries_.size());
}

void FlatObjectWriter::KeySet::grow() {
  slots_.assign(slots_.size() * 2, 0);
  for (uint32_t i = 0; i < entries_.size(); ++i) {
    Entry& entry = entries_[i];
    const size_t mask = slots_.size() - 1;
    size_t slot = entry.hash & mask;
    while (slots_[slot] != 0) slot = (slot + 1) & mask;
    slots_[slot] = i + 1;
    entry.slot = static_cast<uint32_t>(slot);
  }
}

void FlatObjectWriter::reset(std::string& out, const std::vector<std::string_view>& reserved) {
  out_ = &out;
  object_start_ = out.size();
  first_ = true;
  dropped_ = 0;
  if (seeded_with_ != &reserved) {
    // First use with this reserved list: seed it once and keep it.
    taken_.keep_first(0);
    taken_.clear();
    for (std::string_view key : reserved) taken_.insert(key);
    taken_.keep_first(taken_.size());
    seeded_with_ = &reserved;
  } else {
    taken_.clear();
  }
  out_->push_back('{');
}

std::optional<std::string_view> FlatObjectWriter::claim_key(std::string_view candidate) {
  if (candidate.empty()) candidate = "prop";  // a key with no letters or digits at all
  if (taken_.try_insert(candidate)) return candidate;
  prefixed_key_.assign("prop_");
  prefixed_key_.append(candidate);
  if (taken_.try_insert(prefixed_key_)) return std::string_view(prefixed_key_);
  ++dropped_;
  return std::nullopt;
}

void FlatObjectWriter::take(std::string_view name) {
  taken_.try_insert(name);  // reserved names are pre-seeded: then a no-op
}

void FlatObjectWriter::write_key(std::string_view key) {
  // Keys are snake_case by construction (append_snake_case turns quotes,
  // backslashes and control bytes into separators) or literals of the
  // mapping, so they never need JSON escaping.
  // One size change and one copy instead of four appends: this runs for
  // every member, and the appends' capacity checks and calls showed in
  // profiles.
  std::string& out = *out_;
  const size_t at = out.size();
  out.resize(at + key.size() + (first_ ? 3 : 4));
  char* p = out.data() + at;
  if (!first_) *p++ = ',';
  first_ = false;
  *p++ = '"';
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  p[0] = '"';
  p[1] = ':';
}

void FlatObjectWriter::custom_bool(std::string_view key, bool value) {
  scratch_.clear();
  append_snake_case(scratch_, key);
  auto claimed = claim_key(scratch_);
  if (!claimed) return;
  write_key(*claimed);
  out_->append(value ? "true" : "false");
}

// A fixed field is a reserved one once its name is claimed.
void FlatObjectWriter::fixed_string(std::string_view name, std::string_view value) {
  take(name);
  reserved_string(name, value);
}

void FlatObjectWriter::fixed_int(std::string_view name, int64_t value) {
  take(name);
  reserved_int(name, value);
}

void FlatObjectWriter::reserved_string(std::string_view name, std::string_view value) {
  assert(taken_.contains(name));
  write_key(name);
  util::append_json_string(*out_, value);
}

void FlatObjectWriter::reserved_int(std::string_view name, int64_t value) {
  assert(taken_.contains(name));
  write_key(name);
  util::append_int(*out_, value);
}

void FlatObjectWriter::custom_members(std::string_view prefix, simdjson::dom::object object) {
  for (auto member : object) custom(prefix, member.key, member.value);
}

void FlatObjectWriter::custom(std::string_view prefix, std::string_view key,
                              simdjson::dom::element value) {
  flatten(0, prefix, key, value);
}

void FlatObjectWriter::flatten(size_t level, std::string_view prefix, std::string_view key,
                               simdjson::dom::element value) {
  std::string_view composed;
  if (prefix.empty() && already_snake_case(key)) {
    composed = key;  // the common case: a top-level snake_case key is its own name
  } else {
    // Each nesting level builds its key in its own reused buffer; a deque
    // keeps the outer levels' buffers in place while deeper ones are added.
    if (key_stack_.size() <= level) key_stack_.resize(level + 1);
    std::string& buffer = key_stack_[level];
    buffer.assign(prefix);
    if (!prefix.empty()) buffer.push_back('_');
    const size_t before = buffer.size();
    append_snake_case(buffer, key);
    if (buffer.size() == before && !prefix.empty()) buffer.pop_back();  // key had no letters
    composed = buffer;
  }

  simdjson::dom::object nested;
  if (value.get(nested) == simdjson::SUCCESS) {
    for (auto member : nested) flatten(level + 1, composed, member.key, member.value);
    return;
  }
  write_scalar(composed, value);
}

void FlatObjectWriter::write_scalar(std::string_view key, simdjson::dom::element value) {
  auto claimed = claim_key(key);
  if (!claimed) return;
  write_key(*claimed);
  if (value.is_array()) {
    // Vidora parameters are flat: arrays travel as their JSON text, built in
    // a reused buffer (an allocation per array showed in profiles).
    array_json_.clear();
    util::append_json_value(array_json_, value);
    util::append_json_string(*out_, array_json_);
  } else {
    util::append_json_value(*out_, value);
  }
}

void FlatObjectWriter::close() { out_->push_back('}'); }

void FlatObjectWriter::close_as_fragment(Fragment& fragment) {
  fragment.members.assign(*out_, object_start_ + 1);  // after the '{'
  fragment.key_bytes.clear();
  fragment.keys.clear();
  for (size_t i = taken_.kept(); i < taken_.size(); ++i) {
    const std::string_view key = taken_.key(i);
    fragment.keys.push_back(Fragment::Key{taken_.hash(i),
                                          static_cast<uint32_t>(fragment.key_bytes.size()),
                                          static_cast<uint32_t>(key.size())});
    fragment.key_bytes.append(key);
  }
  fragment.dropped = dropped_;
  out_->resize(object_start_);
}

bool FlatObjectWriter::paste(const Fragment& fragment) {
  const size_t before = taken_.size();
  for (const Fragment::Key& key : fragment.keys) {
    const std::string_view name(fragment.key_bytes.data() + key.offset, key.length);
    if (!taken_.try_insert(name, key.hash)) {
      taken_.truncate(before);
      return false;
    }
  }
  if (!fragment.members.empty()) {
    if (!first_) out_->push_back(',');
    first_ = false;
    out_->append(fragment.members);
  }
  dropped_ += fragment.dropped;
  return true;
}

}  // namespace cdp_relay::destinations::vidora
