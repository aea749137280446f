// Regression (fuzz: config_loader_fuzz): a YAML mapping key that is not a
// scalar (`~: 1`, `[a]: 1`, `{}: 1`) made Node::as<std::string>() throw out
// of load_config_text, so `cdp-relay check-config` and `run` died with
// std::terminate instead of reporting an error. The minimized crasher is
// tests/fuzz/corpus/config_loader_fuzz/crash_non_scalar_key.yaml.
#include <gtest/gtest.h>

#include <string>

#include "app/config_loader.h"
#include "support/test_paths.h"

namespace cdp_relay::app {
namespace {

std::optional<std::string> no_env(const std::string&) { return std::nullopt; }

std::string all_errors(const LoadedConfig& loaded) {
  std::string text;
  for (const auto& e : loaded.errors.all()) text += e.path + ": " + e.message + "\n";
  return text;
}

const std::string kValid =
    "sources:\n  - topic: raw-events\ndead_letter:\n  topic: dlq\ndestinations:\n  vidora:\n"
    "    api_key: k\n";

TEST(ConfigNonScalarKeyRegressionTest, MinimizedFuzzCrasherIsAnError) {
  const std::string yaml = cdp_relay::testing::read_file(cdp_relay::testing::source_path(
      "tests/fuzz/corpus/config_loader_fuzz/crash_non_scalar_key.yaml"));
  LoadedConfig loaded;
  ASSERT_NO_THROW(loaded = load_config_text(yaml, no_env));
  EXPECT_FALSE(loaded.errors.empty());
}

TEST(ConfigNonScalarKeyRegressionTest, RootKeysAreReportedNotThrown) {
  for (const std::string extra : {"~: 1\n", "? [a, b]\n: 1\n", "? {x: 1}\n: 1\n"}) {
    LoadedConfig loaded;
    ASSERT_NO_THROW(loaded = load_config_text(kValid + extra, no_env)) << extra;
    EXPECT_NE(all_errors(loaded).find("(yaml): has a key that is not a string"),
              std::string::npos)
        << extra << all_errors(loaded);
  }
}

TEST(ConfigNonScalarKeyRegressionTest, NestedAndPassThroughKeysAreReportedNotThrown) {
  LoadedConfig loaded;
  ASSERT_NO_THROW(loaded = load_config_text(
                      kValid + "    ? [a]\n    : 1\n"
                               "kafka:\n  consumer:\n    ? [x]\n    : y\n    fetch.min.bytes: 1\n",
                      no_env));
  const std::string errors = all_errors(loaded);
  EXPECT_NE(errors.find("destinations.vidora: has a key that is not a string"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("kafka.consumer: has a key that is not a string"), std::string::npos)
      << errors;
  // The scalar keys around it are still read.
  EXPECT_EQ(loaded.config.kafka.consumer.at("fetch.min.bytes"), "1");
}

}  // namespace
}  // namespace cdp_relay::app
