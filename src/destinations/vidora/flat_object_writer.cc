#include "destinations/vidora/flat_object_writer.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>

#include "util/word_load.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cdp_relay::destinations::vidora {
namespace {

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// A cheap hash for short keys: 8-byte words mixed by multiplication.
// std::hash (murmur) does more work than short keys need; they are trusted
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

// Key bytes are classified 8 at a time (keys are checked for every member of
// every event, and most are short snake_case already). Masks hold one bit per
// byte: bit i for byte i of the word (byte i of the key where it starts).
constexpr uint64_t kOnes = 0x0101010101010101ULL;

struct SnakeBytes {
  unsigned allowed;     // [a-z0-9_]
  unsigned underscore;  // '_'
};

#if defined(__SSE2__)
SnakeBytes classify_snake_bytes(uint64_t word) {
  const __m128i bytes = _mm_cvtsi64_si128(static_cast<long long>(word));
  // Signed compares: bytes >= 0x80 are negative, so never in a range.
  const __m128i lower = _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8('a' - 1)),
                                      _mm_cmplt_epi8(bytes, _mm_set1_epi8('z' + 1)));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(bytes, _mm_set1_epi8('9' + 1)));
  const __m128i underscore = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('_'));
  const __m128i allowed = _mm_or_si128(_mm_or_si128(lower, digit), underscore);
  return SnakeBytes{static_cast<unsigned>(_mm_movemask_epi8(allowed)) & 0xFF,
                    static_cast<unsigned>(_mm_movemask_epi8(underscore)) & 0xFF};
}
#else
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// Per byte of `low7` (bytes below 0x80): the high bit set where the byte is
// >= `floor`. No byte's sum carries into the next one (at most 0x7f + 0x7f).
constexpr uint64_t bytes_at_least(uint64_t low7, uint8_t floor) {
  return (low7 + kOnes * static_cast<uint8_t>(0x80 - floor)) & kHighs;
}

// Gathers the high bit of each byte into bit i for byte i.
constexpr unsigned high_bits(uint64_t word) {
  return static_cast<unsigned>((((word & kHighs) >> 7) * 0x0102040810204080ULL) >> 56);
}

constexpr SnakeBytes classify_snake_bytes(uint64_t word) {
  const uint64_t ascii = ~word & kHighs;
  const uint64_t low7 = word & ~kHighs;
  const uint64_t lower = bytes_at_least(low7, 'a') & ~bytes_at_least(low7, 'z' + 1);
  const uint64_t digit = bytes_at_least(low7, '0') & ~bytes_at_least(low7, '9' + 1);
  const uint64_t underscore = bytes_at_least(low7, '_') & ~bytes_at_least(low7, '_' + 1);
  return SnakeBytes{high_bits((lower | digit | underscore) & ascii), high_bits(underscore & ascii)};
}
#endif

// Whether a word's bytes are all allowed and hold no "__". `before`: bit 0
// set when the byte before the word is a '_'. `unrelated_pairs`: bits of bytes
// whose left neighbour in the word is not their neighbour in the key
// (overlapping loads).
inline bool snake_word(SnakeBytes bytes, unsigned before, unsigned unrelated_pairs) {
  const unsigned doubled = bytes.underscore & ((bytes.underscore << 1) | before) & ~unrelated_pairs;
  return bytes.allowed == 0xFF && doubled == 0;
}

// Lowercase letters, digits and single inner underscores only: the key is
// its own snake_case form.
bool already_snake_case(std::string_view key) {
  static_assert(std::endian::native == std::endian::little, "byte i of a loaded word is bits 8i..");
  const size_t size = key.size();
  if (size == 0 || key.front() == '_' || key.back() == '_') return false;
  const char* p = key.data();
  if (size < 8) {
    // load_short fills the unused bytes with 'a' (allowed). For 1..3 bytes it
    // may repeat the last byte, which is no '_' (checked above); for 4..7 it
    // places p[size - 4] after p[3]: that pair is not adjacent in the key.
    const uint64_t word = util::load_short(p, size, kOnes * 'a');
    return snake_word(classify_snake_bytes(word), 0, size >= 4 ? 1u << 4 : 0);
  }
  unsigned before = 0;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const SnakeBytes bytes = classify_snake_bytes(util::load_u64(p + i));
    if (!snake_word(bytes, before, 0)) return false;
    before = bytes.underscore >> 7;
  }
  // The tail as the key's last 8 bytes: neighbours there are real neighbours.
  return i == size || snake_word(classify_snake_bytes(util::load_u64(p + size - 8)), 0, 0);
}

// For each member of `object`, whether a later member has the same name (so
// that, last one winning, it is not written). The slow path of duplicate
// handling: only objects known to hold duplicates come here.
std::vector<bool> members_with_later_namesake(simdjson::dom::object object) {
  std::vector<std::string_view> keys;
  for (auto member : object) keys.push_back(member.key);
  std::vector<bool> shadowed(keys.size(), false);
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    if (keys[order[i]] == keys[order[i + 1]]) shadowed[order[i]] = true;
  }
  return shadowed;
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

void FlatObjectWriter::KeySet::truncate(size_t count) {
  // Empty only the slots in use: cheaper than wiping the table. Entries are
  // removed newest first and linear probing only ever moves a key past older
  // ones, so the remaining keys never probe past a removed one.
  assert(count >= kept_);
  if (entries_.size() <= count) return;
  for (size_t i = count; i < entries_.size(); ++i) slots_[entries_[i].slot] = 0;
  // Owned keys are all kept ones, added first: the arena ends where they do.
  entries_.resize(count);
}

size_t FlatObjectWriter::KeySet::hash_of(std::string_view key) { return key_hash(key); }

std::string_view FlatObjectWriter::KeySet::key(size_t i) const {
  const Entry& entry = entries_[i];
  const char* bytes = entry.in_output ? output_->data() : arena_.data();
  return std::string_view(bytes + entry.offset, entry.length);
}

FlatObjectWriter::KeySet::Probe FlatObjectWriter::KeySet::find(std::string_view key,
                                                               size_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
    const uint32_t index = slots_[slot];
    if (index == 0) return Probe{hash, slot, false};
    if (entries_[index - 1].hash == hash && this->key(index - 1) == key) {
      return Probe{hash, slot, true};
    }
  }
}

FlatObjectWriter::KeySet::Probe FlatObjectWriter::KeySet::find_for_add(std::string_view key,
                                                                       size_t hash) {
  if ((entries_.size() + 1) * 2 > slots_.size()) grow();  // keep the load factor <= 1/2
  return find(key, hash);
}

void FlatObjectWriter::KeySet::seed(const std::vector<std::string_view>& keys) {
  kept_ = 0;
  truncate(0);
  arena_.clear();
  for (std::string_view key : keys) {
    const Probe probe = find_for_add(key);
    if (probe.found) continue;
    add(Entry{probe.hash, static_cast<uint32_t>(arena_.size()),
              static_cast<uint32_t>(key.size()), 0, false},
        probe.slot);
    arena_.append(key);
  }
  kept_ = entries_.size();
}

void FlatObjectWriter::KeySet::add_in_output(size_t offset, size_t length, const Probe& probe) {
  assert(!probe.found);
  add(Entry{probe.hash, static_cast<uint32_t>(offset), static_cast<uint32_t>(length), 0, true},
      probe.slot);
}

void FlatObjectWriter::KeySet::add(Entry entry, size_t slot) {
  entry.slot = static_cast<uint32_t>(slot);
  entries_.push_back(entry);
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

void FlatObjectWriter::reset(std::string& out, const std::vector<std::string_view>& reserved,
                             const util::NumberTexts* numbers) {
  out_ = &out;
  numbers_ = numbers;
  saw_duplicate_member_ = false;
  open_members_.clear();
  object_start_ = out.size();
  first_ = true;
  dropped_ = 0;
  taken_.set_output(&out);
  if (seeded_with_ != &reserved) {
    // First use with this reserved list: seed it once and keep it.
    taken_.seed(reserved);
    seeded_with_ = &reserved;
  } else {
    taken_.clear();
  }
  out_->push_back('{');
}

bool FlatObjectWriter::write_claimed_key(std::string_view candidate) {
  if (candidate.empty()) candidate = "prop";  // a key with no letters or digits at all
  KeySet::Probe probe = taken_.find_for_add(candidate);
  if (probe.found) {
    note_if_duplicate_member();
    prefixed_key_.assign("prop_");
    prefixed_key_.append(candidate);
    probe = taken_.find_for_add(prefixed_key_);
    const size_t unnumbered = prefixed_key_.size();
    for (int suffix = 2; probe.found && suffix <= kMaxCollisionSuffix; ++suffix) {
      prefixed_key_.resize(unnumbered);
      prefixed_key_.push_back('_');
      util::append_int(prefixed_key_, suffix);
      probe = taken_.find_for_add(prefixed_key_);
    }
    if (probe.found) {
      ++dropped_;
      return false;
    }
    candidate = prefixed_key_;
  }
  taken_.add_in_output(write_key(candidate), candidate.size(), probe);
  return true;
}

void FlatObjectWriter::note_if_duplicate_member() {
  if (last_wins_ || saw_duplicate_member_ || open_members_.empty()) return;
  const OpenMember& open = open_members_.back();
  size_t namesakes = 0;
  for (auto member : open.object) {
    if (member.key == open.key && ++namesakes > 1) {
      saw_duplicate_member_ = true;
      return;
    }
  }
}

size_t FlatObjectWriter::write_key(std::string_view key) {
  // Keys are snake_case by construction (append_snake_case turns quotes,
  // backslashes and control bytes into separators) or literals of the
  // mapping, so they never need JSON escaping.
  // One size change and one copy instead of four appends: this runs for
  // every member, and each append checks capacity and is a call.
  std::string& out = *out_;
  const size_t at = out.size();
  out.resize(at + key.size() + (first_ ? 3 : 4));
  char* p = out.data() + at;
  if (!first_) *p++ = ',';
  first_ = false;
  *p++ = '"';
  const size_t key_at = static_cast<size_t>(p - out.data());
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  p[0] = '"';
  p[1] = ':';
  return key_at;
}

void FlatObjectWriter::custom_bool(std::string_view key, bool value) {
  scratch_.clear();
  append_snake_case(scratch_, key);
  if (!write_claimed_key(scratch_)) return;
  out_->append(value ? "true" : "false");
}

void FlatObjectWriter::fixed_key(std::string_view name) {
  const KeySet::Probe probe = taken_.find_for_add(name);
  assert(!probe.found);  // a mapping bug, not an input's doing
  const size_t at = write_key(name);
  if (!probe.found) taken_.add_in_output(at, name.size(), probe);
}

void FlatObjectWriter::fixed_string(std::string_view name, std::string_view value) {
  fixed_key(name);
  util::append_json_string(*out_, value);
}

void FlatObjectWriter::fixed_int(std::string_view name, int64_t value) {
  fixed_key(name);
  util::append_int(*out_, value);
}

void FlatObjectWriter::reserved_string(std::string_view name, std::string_view value) {
  assert(taken_.find(name).found);
  write_key(name);
  util::append_json_string(*out_, value);
}

void FlatObjectWriter::reserved_int(std::string_view name, int64_t value) {
  assert(taken_.find(name).found);
  write_key(name);
  util::append_int(*out_, value);
}

void FlatObjectWriter::custom_members(std::string_view prefix, simdjson::dom::object object) {
  flatten_members(0, prefix, object);
}

void FlatObjectWriter::custom_members_except(std::string_view prefix, simdjson::dom::object object,
                                             std::initializer_list<NameValue> same_as) {
  flatten_members(0, prefix, object, same_as);
}

size_t FlatObjectWriter::start_keys(size_t level, std::string_view prefix) {
  // Each level's buffer is allocated once and never moves while deeper ones
  // are added: the outer levels' keys are the deeper levels' prefixes.
  while (key_stack_.size() <= level) key_stack_.push_back(std::make_unique<std::string>());
  std::string& keys = *key_stack_[level];
  keys.clear();
  if (!prefix.empty()) {
    keys.append(prefix);
    keys.push_back('_');
  }
  return keys.size();
}

void FlatObjectWriter::flatten_members(size_t level, std::string_view prefix,
                                       simdjson::dom::object object,
                                       std::initializer_list<NameValue> same_as) {
  std::vector<bool> shadowed;
  if (last_wins_) shadowed = members_with_later_namesake(object);
  open_members_.push_back(OpenMember{object, {}});
  // The prefix is written once per object, each member's key after it.
  const size_t stem = prefix.empty() ? 0 : start_keys(level, prefix);
  size_t index = 0;
  for (auto member : object) {
    const size_t i = index++;
    if (!shadowed.empty() && shadowed[i]) continue;
    bool same = false;
    for (const NameValue& pair : same_as) {
      std::string_view text;
      if (member.key == pair.name && member.value.get(text) == simdjson::SUCCESS &&
          text == pair.value) {
        same = true;
        break;
      }
    }
    if (same) continue;
    // Set before each member: nested objects push and pop their own entries.
    open_members_.back().key = member.key;
    flatten(level, stem, member.key, member.value);
  }
  open_members_.pop_back();
}

void FlatObjectWriter::custom(std::string_view prefix, std::string_view key,
                              simdjson::dom::element value) {
  flatten(0, prefix.empty() ? 0 : start_keys(0, prefix), key, value);
}

void FlatObjectWriter::flatten(size_t level, size_t stem, std::string_view key,
                               simdjson::dom::element value) {
  std::string_view composed;
  if (stem == 0 && already_snake_case(key)) {
    composed = key;  // the common case: a top-level snake_case key is its own name
  } else {
    if (stem == 0) start_keys(level, {});
    std::string& keys = *key_stack_[level];
    keys.resize(stem);  // the prefix and its '_' (start_keys)
    append_snake_case(keys, key);
    composed = keys;
    // A key with no letters or digits adds nothing: the prefix alone, without
    // its '_' (left in the buffer for the next member).
    if (keys.size() == stem && stem > 0) composed.remove_suffix(1);
  }

  simdjson::dom::object nested;
  if (value.get(nested) == simdjson::SUCCESS) {
    flatten_members(level + 1, composed, nested);
    return;
  }
  write_scalar(composed, value);
}

void FlatObjectWriter::write_scalar(std::string_view key, simdjson::dom::element value) {
  if (!write_claimed_key(key)) return;
  if (value.is_array()) {
    // Vidora parameters are flat: arrays travel as their JSON text, built in
    // a reused buffer (no allocation per array).
    array_json_.clear();
    util::append_json_value(array_json_, value, numbers_);
    util::append_json_string(*out_, array_json_);
  } else {
    util::append_json_value(*out_, value, numbers_);
  }
}

void FlatObjectWriter::close() { out_->push_back('}'); }

void FlatObjectWriter::close_as_fragment(Fragment& fragment) {
  const size_t members_start = object_start_ + 1;  // after the '{'
  fragment.members.assign(*out_, members_start);
  fragment.keys.clear();
  for (size_t i = taken_.kept(); i < taken_.size(); ++i) {
    assert(taken_.in_output(i));
    fragment.keys.push_back(Fragment::Key{taken_.hash(i),
                                          static_cast<uint32_t>(taken_.offset(i) - members_start),
                                          static_cast<uint32_t>(taken_.key(i).size())});
  }
  fragment.dropped = dropped_;
  taken_.clear();
  out_->resize(object_start_);
}

bool FlatObjectWriter::paste(const Fragment& fragment) {
  if (fragment.members.empty()) {
    dropped_ += fragment.dropped;
    return true;
  }
  // Written first, so the key set can point at the keys in the output; taken
  // back if a key is claimed already.
  const size_t rollback_out = out_->size();
  const size_t rollback_keys = taken_.size();
  const bool was_first = first_;
  if (!first_) out_->push_back(',');
  first_ = false;
  const size_t base = out_->size();
  out_->append(fragment.members);
  for (const Fragment::Key& key : fragment.keys) {
    const std::string_view name(out_->data() + base + key.offset, key.length);
    const KeySet::Probe probe = taken_.find_for_add(name, key.hash);
    if (probe.found) {
      taken_.truncate(rollback_keys);
      out_->resize(rollback_out);
      first_ = was_first;
      return false;
    }
    taken_.add_in_output(base + key.offset, key.length, probe);
  }
  dropped_ += fragment.dropped;
  return true;
}

}  // namespace cdp_relay::destinations::vidora
