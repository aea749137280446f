// The original text of a document's numbers.
//
// simdjson's DOM keeps a number as an int64, a uint64 or a double, not as the
// text it was written with. For integers that is lossless (their shortest
// form is their only JSON form), but a float written `1.0`, `2.50` or `1e5`
// would go out as `1`, `2.5` or `100000`, and an integer beyond 64 bits
// (`JSON.stringify(2n**65n)` style `36893488147419103000`) or a float beyond
// a double's range (`1e400`) fails the whole parse, although every RFC 8259
// parser must accept it. The relay promises to pass numbers through as
// written, so:
//  - a document that parses keeps its bytes here, and the text of a double is
//    found by value, on request, by scanning those bytes up to the first
//    float of that value (the scan resumes where the last request stopped);
//  - a document that fails on a number is parsed again from a copy in which
//    every number a 64-bit type cannot hold is replaced by a unique marker
//    double; the marker's value leads back to the original text.
// Lookup is by value: two different texts of the same double in one document
// (`1.0` and `1.00`) give the first one for both, which is the same number.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cdp_relay::util {

class NumberTexts {
 public:
  // Starts a document parsed from `source` as is. `source` must stay valid
  // while texts are looked up (until the next reset): the scan is lazy.
  void reset(std::string_view source);

  // Starts a document that failed to parse because of a number: writes
  // `source` into `parsed` with each integer outside int64/uint64 and each
  // float outside a double's range replaced by a marker double, and returns
  // the number of numbers replaced (0: the parse error was something else).
  // `source` must stay valid as for reset().
  size_t rewrite_unrepresentable(std::string_view source, std::string& parsed);

  // The text `value` (a double from this document) was written with; empty
  // when no float of the document has that value.
  std::string_view original_text(double value) const;

 private:
  struct Entry {
    uint64_t bits;          // the double the parser holds
    std::string_view text;  // as written in the source
  };
  std::string_view source_;
  // The floats of source_[0, scanned_up_to_), in document order; the rest of
  // the source is scanned on demand.
  mutable size_t scanned_up_to_ = 0;
  mutable std::vector<Entry> entries_;
};

}  // namespace cdp_relay::util
