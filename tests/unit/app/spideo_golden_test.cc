// Golden files for the Spideo mapping: each tests/fixtures/spideo/<name>.jsonl
// input (Segment messages shaped like analytics-node's and Engage's output) is
// run through `cdp-relay transform --destination spideo` (app::run_transform,
// default config) and its stdout must equal <name>.golden byte for byte.
// UPDATE_GOLDEN=1 rewrites the golden files instead (then review the diff).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "app/transform_command.h"
#include "support/test_paths.h"

namespace cdp_relay::app {
namespace {

// Everything written to a FILE*, as a string.
std::string contents_of(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char chunk[4096];
  while (size_t read = std::fread(chunk, 1, sizeof chunk, file)) text.append(chunk, read);
  return text;
}

std::string transform_to_spideo(const std::string& input_path) {
  std::ifstream input(input_path);
  EXPECT_TRUE(input) << input_path;
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  TransformOptions options;
  options.destination = "spideo";
  const TransformCounts counts = run_transform(RelayConfig{}, options, input, out, err);
  EXPECT_EQ(counts.rejected, 0u) << input_path << ": " << contents_of(err);
  std::string output = contents_of(out);
  std::fclose(out);
  std::fclose(err);
  return output;
}

class SpideoGoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SpideoGoldenTest, TransformOutputMatchesTheGoldenFile) {
  const std::string base = testing::source_path(std::string("tests/fixtures/spideo/") + GetParam());
  const std::string actual = transform_to_spideo(base + ".jsonl");
  const char* update = std::getenv("UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(base + ".golden", std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << base << ".golden";
  }
  const std::string expected = testing::read_file(base + ".golden");
  EXPECT_EQ(actual, expected) << "rerun with UPDATE_GOLDEN=1 to rewrite " << base << ".golden";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SpideoGoldenTest,
                         ::testing::Values("video", "commerce", "event_names", "no_content_id",
                                           "audiences"),
                         [](const auto& fixture) { return std::string(fixture.param); });

}  // namespace
}  // namespace cdp_relay::app
