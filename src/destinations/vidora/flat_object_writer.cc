#include "destinations/vidora/flat_object_writer.h"

namespace cdp_relay::destinations::vidora {
namespace {

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

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

void FlatObjectWriter::reset(std::string& out, const std::vector<std::string_view>& reserved) {
  out_ = &out;
  first_ = true;
  dropped_ = 0;
  taken_count_ = 0;
  for (std::string_view key : reserved) {
    if (taken_count_ == taken_.size()) taken_.emplace_back();
    taken_[taken_count_++].assign(key);
  }
  out_->push_back('{');
}

bool FlatObjectWriter::is_taken(std::string_view key) const {
  for (size_t i = 0; i < taken_count_; ++i) {
    if (taken_[i] == key) return true;
  }
  return false;
}

bool FlatObjectWriter::claim_key(std::string& candidate) {
  if (candidate.empty()) candidate = "prop";  // a key with no letters or digits at all
  if (is_taken(candidate)) {
    candidate.insert(0, "prop_");
    if (is_taken(candidate)) {
      ++dropped_;
      return false;
    }
  }
  if (taken_count_ == taken_.size()) taken_.emplace_back();
  taken_[taken_count_++].assign(candidate);
  return true;
}

void FlatObjectWriter::take(std::string_view name) {
  if (is_taken(name)) return;  // reserved names are pre-seeded
  if (taken_count_ == taken_.size()) taken_.emplace_back();
  taken_[taken_count_++].assign(name);
}

void FlatObjectWriter::custom_bool(std::string_view key, bool value) {
  scratch_.clear();
  append_snake_case(scratch_, key);
  if (!claim_key(scratch_)) return;
  if (!first_) out_->push_back(',');
  first_ = false;
  util::append_json_string(*out_, scratch_);
  out_->append(value ? ":true" : ":false");
}

void FlatObjectWriter::fixed_string(std::string_view name, std::string_view value) {
  take(name);
  if (!first_) out_->push_back(',');
  first_ = false;
  util::append_json_string(*out_, name);
  out_->push_back(':');
  util::append_json_string(*out_, value);
}

void FlatObjectWriter::fixed_int(std::string_view name, int64_t value) {
  take(name);
  if (!first_) out_->push_back(',');
  first_ = false;
  util::append_json_string(*out_, name);
  out_->push_back(':');
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
  // Each nesting level builds its key in its own reused buffer; a deque keeps
  // the outer levels' buffers in place while deeper ones are added.
  if (key_stack_.size() <= level) key_stack_.resize(level + 1);
  std::string& composed = key_stack_[level];
  composed.assign(prefix);
  if (!prefix.empty()) composed.push_back('_');
  const size_t before = composed.size();
  append_snake_case(composed, key);
  if (composed.size() == before && !prefix.empty()) composed.pop_back();  // key had no letters

  simdjson::dom::object nested;
  if (value.get(nested) == simdjson::SUCCESS) {
    for (auto member : nested) flatten(level + 1, composed, member.key, member.value);
    return;
  }
  write_scalar(composed, value);
}

void FlatObjectWriter::write_scalar(std::string_view key, simdjson::dom::element value) {
  scratch_.assign(key);
  if (!claim_key(scratch_)) return;
  if (!first_) out_->push_back(',');
  first_ = false;
  util::append_json_string(*out_, scratch_);
  out_->push_back(':');
  if (value.is_array()) {
    // Vidora parameters are flat: arrays travel as their JSON text.
    std::string array_json;
    util::append_json_value(array_json, value);
    util::append_json_string(*out_, array_json);
  } else {
    util::append_json_value(*out_, value);
  }
}

void FlatObjectWriter::close() { out_->push_back('}'); }

}  // namespace cdp_relay::destinations::vidora
