// Writes Vidora's flat event objects: nested objects become snake_case keys
// joined with `_`, arrays become JSON strings, and a key that collides with a
// reserved or already written key gets a `prop_` prefix, then a numbered
// suffix (`prop_a`, `prop_a_2`, `prop_a_3`, ...), so no value is dropped short
// of kMaxCollisionSuffix keys colliding on one name (README, "Vidora mapping").
#pragma once

#include <simdjson.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/json_writer.h"
#include "util/number_texts.h"

namespace cdp_relay::destinations::vidora {

// "productId" -> "product_id", "Product ID" -> "product_id",
// "$FirstName" -> "first_name", "HTMLParser" -> "html_parser".
// Runs of separators collapse to one `_`; bytes >= 0x80 (UTF-8) are kept.
// Appends to `out`; appends nothing when no letter or digit is present.
void append_snake_case(std::string& out, std::string_view key);

// One flat JSON object under construction. Reused across events: reset() keeps
// the buffers' capacity, so steady-state encoding does not allocate.
class FlatObjectWriter {
 public:
  // Starts a new object appended to `out`. `reserved` keys are treated as
  // already written, so custom parameters can never impersonate them.
  // `numbers`: the texts of the event document's numbers, so that floats and
  // big integers go out as written.
  void reset(std::string& out, const std::vector<std::string_view>& reserved,
             const util::NumberTexts* numbers = nullptr);

  // Duplicate member names in one JSON object: with `last_wins`, only the
  // last of them is written, as JavaScript reads them. Finding duplicates
  // costs a pass over every object, so the encoder leaves it off and encodes
  // again with it on when saw_duplicate_member() says an object had some.
  void set_last_wins(bool last_wins) { last_wins_ = last_wins; }
  bool saw_duplicate_member() const { return saw_duplicate_member_; }

  // Writes a field the mapping owns (user_id, type, name, group_id, ...) under
  // exactly `name`, and claims the name so custom parameters cannot reuse it.
  // REQUIRES: `name` is snake_case and not yet written to this object.
  void fixed_string(std::string_view name, std::string_view value);
  void fixed_int(std::string_view name, int64_t value);
  // The same for a name among reset()'s `reserved` keys, which is claimed
  // already: no key-set lookup (six per event, all hits, were the key set's
  // costliest probes).
  // REQUIRES: `name` is one of the reserved keys and not yet written.
  void reserved_string(std::string_view name, std::string_view value);
  void reserved_int(std::string_view name, int64_t value);

  // Writes a boolean custom parameter (snake-cased, collision rules apply).
  void custom_bool(std::string_view key, bool value);

  // Writes a custom parameter, snake-casing `key` under `prefix` ("" for none)
  // and flattening objects recursively.
  void custom(std::string_view prefix, std::string_view key, simdjson::dom::element value);
  // Writes every member of an object as custom parameters under `prefix`.
  void custom_members(std::string_view prefix, simdjson::dom::object object);
  // The same, leaving out a string member whose name and value equal one of
  // `same_as`' pairs (a page's properties.name equal to the page's own name).
  struct NameValue {
    std::string_view name;
    std::string_view value;
  };
  void custom_members_except(std::string_view prefix, simdjson::dom::object object,
                             std::initializer_list<NameValue> same_as);

  void close();

  // Members written once and pasted into several objects. An mParticle
  // batch's device_info and user attributes are the same for each of its
  // events, and flattening them again per event was most of the time spent
  // encoding an mParticle event.
  struct Fragment {
    struct Key {
      size_t hash;
      uint32_t offset;  // where the key's bytes are in `members`
      uint32_t length;
    };
    std::string members;    // `"key":value` pairs joined by ',', no braces
    std::vector<Key> keys;  // every key `members` claimed, in order
    size_t dropped = 0;     // values dropped while writing them
  };
  // Ends the object as a fragment instead of closing it: moves the members
  // written since reset() (not the reserved keys) into `fragment`. For paste()
  // to reproduce exactly what writing the members would do, the fragment must
  // be written right after reset(), with nothing else claimed.
  void close_as_fragment(Fragment& fragment);
  // Writes `fragment`'s members into this object, unless one of its keys is
  // claimed here already: then it writes nothing and returns false, and the
  // caller writes the members one by one (so the collision rules decide as
  // they always do). When every key is free, writing the members one by one
  // would claim exactly the fragment's keys, so the result is the same.
  bool paste(const Fragment& fragment);

  // Values dropped because the key, its `prop_` form and every numbered
  // suffix up to kMaxCollisionSuffix were taken.
  size_t dropped() const { return dropped_; }
  // Bounds the search for a free key, so that an object of thousands of keys
  // that snake-case alike costs linear time, not quadratic.
  static constexpr int kMaxCollisionSuffix = 100;

 private:
  // Writes `"candidate":` (or `"prop_candidate":` when the first is taken)
  // and claims it; writes nothing and returns false when both are taken.
  bool write_claimed_key(std::string_view candidate);
  // Writes `"name":` for a field of the mapping and claims the name.
  void fixed_key(std::string_view name);
  // Writes `,"key":` and returns where the key's bytes start in *out_.
  size_t write_key(std::string_view key);
  void write_scalar(std::string_view key, simdjson::dom::element value);
  // Makes key_stack_[level] hold `prefix` and a '_' (nothing for no prefix);
  // returns that length, the stem each key of the level is written after.
  // Callers skip it for no prefix (stem 0) until a key needs the buffer.
  size_t start_keys(size_t level, std::string_view prefix);
  // Writes one member whose key goes after key_stack_[level]'s `stem`.
  void flatten(size_t level, size_t stem, std::string_view key, simdjson::dom::element value);
  // Flattens each member of `object` (each last of its name with last_wins_).
  void flatten_members(size_t level, std::string_view prefix, simdjson::dom::object object,
                       std::initializer_list<NameValue> same_as = {});
  // On a key collision: whether the member being written has a namesake in
  // its own object (then saw_duplicate_member_ is set).
  void note_if_duplicate_member();

  // The keys claimed so far: an open-addressing hash set, cleared per object
  // by revisiting only the slots it used, so each lookup is O(1) and an
  // object costs no allocation once warm. Its entries point at the keys'
  // bytes where they already are: in the output, where each key is written
  // as it is claimed (copying every key into a side arena was as costly as
  // the lookup), except the reserved keys kept across objects, which it owns.
  class KeySet {
   public:
    // The buffer the in-output entries point into (the object's output).
    void set_output(const std::string* output) { output_ = output; }
    // Empties the set and adds `keys`, which it keeps across clear() calls
    // (the reserved keys, the same for every object).
    void seed(const std::vector<std::string_view>& keys);
    size_t kept() const { return kept_; }
    size_t size() const { return entries_.size(); }
    void clear() { truncate(kept_); }
    // Removes the keys added after the first `count` (count >= kept()).
    void truncate(size_t count);

    struct Probe {
      size_t hash;
      size_t slot;  // where `key` is, or where it would go
      bool found;
    };
    static size_t hash_of(std::string_view key);
    Probe find(std::string_view key, size_t hash) const;
    Probe find(std::string_view key) const { return find(key, hash_of(key)); }
    // find() after making room for one more key, so that a probe that did not
    // find `key` can be passed to add_in_output().
    Probe find_for_add(std::string_view key, size_t hash);
    Probe find_for_add(std::string_view key) { return find_for_add(key, hash_of(key)); }
    // Adds the key at (*output)[offset, offset + length).
    // REQUIRES: `probe` from find_for_add(), !probe.found, nothing added since.
    void add_in_output(size_t offset, size_t length, const Probe& probe);

    std::string_view key(size_t i) const;
    size_t hash(size_t i) const { return entries_[i].hash; }
    bool in_output(size_t i) const { return entries_[i].in_output; }
    size_t offset(size_t i) const { return entries_[i].offset; }

   private:
    struct Entry {
      size_t hash;
      uint32_t offset;  // into *output_ or arena_
      uint32_t length;
      uint32_t slot;    // where it sits in slots_, so truncate() can empty it
      bool in_output;
    };
    void add(Entry entry, size_t slot);
    void grow();
    std::vector<uint32_t> slots_ = std::vector<uint32_t>(128, 0);  // entry index + 1; 0 = empty
    std::vector<Entry> entries_;
    std::string arena_;  // bytes of the owned keys
    const std::string* output_ = nullptr;
    size_t kept_ = 0;
  };

  std::string* out_ = nullptr;
  const util::NumberTexts* numbers_ = nullptr;
  bool last_wins_ = false;
  bool saw_duplicate_member_ = false;
  // The object and member name being flattened at each nesting level, for
  // note_if_duplicate_member(); empty outside custom_members.
  struct OpenMember {
    simdjson::dom::object object;
    std::string_view key;
  };
  std::vector<OpenMember> open_members_;
  size_t object_start_ = 0;  // where this object's '{' is in *out_
  bool first_ = true;
  size_t dropped_ = 0;
  KeySet taken_;
  const std::vector<std::string_view>* seeded_with_ = nullptr;
  // Each nesting level's keys, built in place (see start_keys).
  std::vector<std::unique_ptr<std::string>> key_stack_;
  std::string scratch_;
  std::string prefixed_key_;  // a claimed key's `prop_` form
  std::string array_json_;    // an array value's JSON text, before it is quoted
};

}  // namespace cdp_relay::destinations::vidora
