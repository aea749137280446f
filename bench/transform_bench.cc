// The transform stage's throughput on one core (target: >= 1,000,000
// events/s for decode + map + encode of ~500 B Segment tracks).
//
//   scripts/bench.sh            (builds with -DCDP_RELAY_BUILD_BENCH=ON, runs this)
//
// Three levels, each over the same corpus, one event per iteration count:
//   Decode            bytes -> canonical events (simdjson, validation)
//   DecodeMap         + the Vidora type mapping
//   DecodeMapEncode   + the Vidora flat JSON encoder (the full transform stage)
// Corpora: small Segment tracks (tests/fixtures/mixed/small_tracks.jsonl) and
// the mixed fixture set (Segment messages and batches, mParticle batches).
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>
#include <vector>

#include "decode/decoder.h"
#include "destinations/vidora/vidora_event_encoder.h"
#include "destinations/vidora/vidora_mapping.h"
#include "route/transform_stage.h"

namespace {

using namespace cdp_relay;

std::vector<std::string> load(const std::vector<std::string>& files) {
  std::vector<std::string> lines;
  for (const auto& file : files) {
    std::ifstream in(std::string(CDP_RELAY_SOURCE_DIR) + "/" + file);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
  }
  return lines;
}

const std::vector<std::string>& small_tracks() {
  static const auto corpus = load({"tests/fixtures/mixed/small_tracks.jsonl"});
  return corpus;
}

const std::vector<std::string>& mixed() {
  static const auto corpus =
      load({"tests/fixtures/segment/messages.jsonl", "tests/fixtures/segment/batches.jsonl",
            "tests/fixtures/mparticle/outbound_batches.jsonl",
            "tests/fixtures/mparticle/sdk_batches.jsonl", "tests/fixtures/mixed/small_tracks.jsonl"});
  return corpus;
}

// The mixed corpus's two richer families on their own, so a change can be
// traced to the part of the mix it moves (the mix is mostly small tracks by
// line count, but these lines carry most of its bytes).
const std::vector<std::string>& segment_rich() {
  static const auto corpus =
      load({"tests/fixtures/segment/messages.jsonl", "tests/fixtures/segment/batches.jsonl"});
  return corpus;
}

const std::vector<std::string>& mparticle_batches() {
  static const auto corpus = load({"tests/fixtures/mparticle/outbound_batches.jsonl",
                                   "tests/fixtures/mparticle/sdk_batches.jsonl"});
  return corpus;
}

Origin origin_for(size_t i) {
  Origin origin;
  origin.topic = "raw-events";
  origin.partition = 0;
  origin.offset = static_cast<int64_t>(i);
  return origin;
}

void report(benchmark::State& state, size_t events, size_t bytes) {
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void Decode(benchmark::State& state, const std::vector<std::string>& corpus) {
  decode::Decoder decoder;
  decode::DecodedMessage out;
  size_t events = 0, bytes = 0, i = 0;
  for (auto _ : state) {
    const std::string& line = corpus[i++ % corpus.size()];
    decoder.decode(line, decode::InputFormat::kAuto, origin_for(i), out);
    events += out.events.size();
    bytes += line.size();
    benchmark::DoNotOptimize(out.events.data());
  }
  report(state, events, bytes);
}

void DecodeMap(benchmark::State& state, const std::vector<std::string>& corpus) {
  decode::Decoder decoder;
  decode::DecodedMessage out;
  size_t events = 0, bytes = 0, i = 0;
  for (auto _ : state) {
    const std::string& line = corpus[i++ % corpus.size()];
    decoder.decode(line, decode::InputFormat::kAuto, origin_for(i), out);
    for (const auto& event : out.events) {
      auto type = destinations::vidora::vidora_type(event);
      benchmark::DoNotOptimize(type);
    }
    events += out.events.size();
    bytes += line.size();
  }
  report(state, events, bytes);
}

void DecodeMapEncode(benchmark::State& state, const std::vector<std::string>& corpus) {
  std::vector<std::unique_ptr<route::EventEncoder>> encoders;
  encoders.push_back(std::make_unique<destinations::vidora::VidoraEventEncoder>(
      destinations::vidora::VidoraSettings{}));
  route::TransformStage stage(decode::DecodeLimits{}, std::move(encoders));
  route::TransformResult result;
  size_t events = 0, bytes = 0, i = 0;
  for (auto _ : state) {
    const std::string& line = corpus[i++ % corpus.size()];
    stage.process(line, decode::InputFormat::kAuto, origin_for(i), result);
    events += result.outputs.front().events.size();
    bytes += line.size();
    benchmark::DoNotOptimize(result.outputs.front().buffer.data());
  }
  report(state, events, bytes);
}

BENCHMARK_CAPTURE(Decode, small_tracks, small_tracks());
BENCHMARK_CAPTURE(DecodeMap, small_tracks, small_tracks());
BENCHMARK_CAPTURE(DecodeMapEncode, small_tracks, small_tracks());
BENCHMARK_CAPTURE(Decode, mixed, mixed());
BENCHMARK_CAPTURE(DecodeMap, mixed, mixed());
BENCHMARK_CAPTURE(DecodeMapEncode, mixed, mixed());
BENCHMARK_CAPTURE(Decode, segment_rich, segment_rich());
BENCHMARK_CAPTURE(DecodeMapEncode, segment_rich, segment_rich());
BENCHMARK_CAPTURE(Decode, mparticle_batches, mparticle_batches());
BENCHMARK_CAPTURE(DecodeMapEncode, mparticle_batches, mparticle_batches());

}  // namespace

BENCHMARK_MAIN();
