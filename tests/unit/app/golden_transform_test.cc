// Golden files: `cdp-relay transform` over inputs shaped like the real
// clients' output, compared byte for byte with the checked-in expected
// stdout (the wire events) and stderr (rejections, skipped and filtered
// events, dropped values). Each case is a folder of tests/fixtures/golden/
// (see its README.md): input.jsonl, an optional config.yaml and args file,
// and expected.stdout / expected.stderr.
//
// After an intended mapping change, regenerate with
//   UPDATE_GOLDEN=1 ./build/tests/cdp_relay_unit_tests --gtest_filter='GoldenTransform*'
// and review the diff like code.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/config_loader.h"
#include "app/transform_command.h"
#include "support/test_paths.h"

namespace cdp_relay::app {
namespace {

namespace fs = std::filesystem;
using cdp_relay::testing::read_file;
using cdp_relay::testing::source_path;

std::string file_text(std::FILE* file) {
  std::string text;
  std::rewind(file);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  return text;
}

struct Transformed {
  std::string out;
  std::string err;
};

Transformed transform_case(const fs::path& dir) {
  RelayConfig config;
  if (fs::exists(dir / "config.yaml")) {
    // No environment: a golden case never depends on the machine.
    LoadedConfig loaded = load_config_file((dir / "config.yaml").string(),
                                           [](const std::string&) { return std::nullopt; });
    EXPECT_TRUE(loaded.errors.empty())
        << dir << ": " << (loaded.errors.empty() ? "" : loaded.errors.all()[0].path + ": " + loaded.errors.all()[0].message);
    config = loaded.config;
  }
  TransformOptions options;
  if (fs::exists(dir / "args")) {
    std::istringstream args(read_file((dir / "args").string()));
    for (std::string flag, value; args >> flag >> value;) {
      if (flag == "--destination") options.destination = value;
      else if (flag == "--format") options.format = *decode::input_format_from(value);
      else ADD_FAILURE() << dir << ": unknown flag " << flag;
    }
  }
  std::ifstream in(dir / "input.jsonl", std::ios::binary);
  EXPECT_TRUE(in.good()) << dir / "input.jsonl";
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  run_transform(config, options, in, out, err);
  std::fflush(err);
  Transformed result{file_text(out), file_text(err)};
  std::fclose(out);
  std::fclose(err);
  return result;
}

void compare_or_update(const fs::path& expected_file, const std::string& actual) {
  if (std::getenv("UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expected_file, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(expected_file)) << expected_file << " is missing (UPDATE_GOLDEN=1 writes it)";
  EXPECT_EQ(actual, read_file(expected_file.string())) << "differs from " << expected_file;
}

TEST(GoldenTransformTest, EveryCaseMatchesItsExpectedOutput) {
  const fs::path root = source_path("tests/fixtures/golden");
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 8u) << "the golden cases are missing";
  for (const fs::path& dir : cases) {
    SCOPED_TRACE(dir.filename().string());
    const Transformed result = transform_case(dir);
    EXPECT_FALSE(result.out.empty()) << "a case with no output proves nothing";
    compare_or_update(dir / "expected.stdout", result.out);
    compare_or_update(dir / "expected.stderr", result.err);
  }
}

}  // namespace
}  // namespace cdp_relay::app
