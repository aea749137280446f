// A minimal append-only JSON writer over a caller-owned std::string.
//
// Why hand-written: simdjson (the JSON library we use) only parses, and the
// encoders write hundreds of thousands of small objects per second; appending
// to a reused buffer keeps the hot path free of allocations.
//
// The writer does not check structure (callers emit well-formed sequences);
// it only guarantees that every string it writes is correctly escaped. Input
// strings must be valid UTF-8, which the decoder guarantees for everything that
// came from a message.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "util/number_texts.h"

namespace cdp_relay::util {

// Appends `value` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view value);

// Appends any parsed JSON value in compact form. A float goes out as written
// in its document when `numbers` (that document's) has its text, else in its
// shortest round-trip form.
void append_json_value(std::string& out, simdjson::dom::element value,
                       const NumberTexts* numbers = nullptr);
void append_json_object(std::string& out, simdjson::dom::object value,
                        const NumberTexts* numbers = nullptr);

void append_int(std::string& out, int64_t value);
void append_uint(std::string& out, uint64_t value);
void append_double(std::string& out, double value);

// Object writer that tracks the comma between members.
class JsonObjectWriter {
 public:
  // `numbers`: the texts of the numbers of the document whose values
  // value_member() copies (see append_json_value).
  explicit JsonObjectWriter(std::string& out, const NumberTexts* numbers = nullptr)
      : out_(out), numbers_(numbers) {
    out_.push_back('{');
  }
  void close() { out_.push_back('}'); }

  // Writes `"key":` and leaves the value to the caller.
  void key(std::string_view name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    append_json_string(out_, name);
    out_.push_back(':');
  }
  void string_member(std::string_view name, std::string_view value) {
    key(name);
    append_json_string(out_, value);
  }
  void int_member(std::string_view name, int64_t value) {
    key(name);
    append_int(out_, value);
  }
  void bool_member(std::string_view name, bool value) {
    key(name);
    out_.append(value ? "true" : "false");
  }
  void value_member(std::string_view name, simdjson::dom::element value) {
    key(name);
    append_json_value(out_, value, numbers_);
  }
  void value_member(std::string_view name, simdjson::dom::object value) {
    key(name);
    append_json_object(out_, value, numbers_);
  }
  std::string& out() { return out_; }

 private:
  std::string& out_;
  const NumberTexts* numbers_;
  bool first_ = true;
};

}  // namespace cdp_relay::util
