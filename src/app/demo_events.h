// A deterministic stream of realistic input messages for `demo` and the
// end-to-end tests: Segment calls and batch envelopes, mParticle batches, and
// about 1% malformed inputs, each with the number of events it stands for.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace cdp_relay::app {

struct DemoMessage {
  std::string key;
  std::string value;
  int events = 1;            // inputs that count as events (batch items)
  int expected_invalid = 0;  // of those, how many must end in the DLQ
};

class DemoEventGenerator {
 public:
  explicit DemoEventGenerator(uint64_t seed = 42, int users = 5000, double malformed_ratio = 0.01);

  DemoMessage next();
  uint64_t sequence() const { return sequence_; }

 private:
  std::string segment_track(int user, const std::string& message_id, bool in_batch);
  std::string segment_page(int user, const std::string& message_id);
  std::string segment_identify(int user, const std::string& message_id);
  DemoMessage segment_batch(int user);
  DemoMessage mparticle_batch(int user);
  DemoMessage malformed(int user);
  std::string next_id();
  std::string timestamp();

  std::mt19937_64 random_;
  int users_;
  double malformed_ratio_;
  uint64_t sequence_ = 0;
  int64_t clock_ms_ = 1'732'000'000'000;
};

}  // namespace cdp_relay::app
