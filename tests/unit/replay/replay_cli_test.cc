// `cdp-relay replay` argument checks, on the real binary: every usage error
// exits 2 with a message before any connection is attempted (the brokers
// given here do not exist, so reaching Kafka would show as exit 1).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "support/test_paths.h"

namespace cdp_relay::replay {
namespace {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

CliResult run_replay(const std::string& args) {
  // One file per process and call: ctest runs these tests in parallel.
  static int calls = 0;
  const std::string err_file = ::testing::TempDir() + "cdp_relay_replay_cli_stderr." +
                               std::to_string(::getpid()) + "." + std::to_string(++calls);
  const std::string command = "'" + testing::relay_binary() + "' replay " + args +
                              " < /dev/null 2> '" + err_file + "'";
  CliResult result;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  if (pipe == nullptr) return result;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = testing::read_file(err_file);
  std::remove(err_file.c_str());
  return result;
}

// A port nothing listens on: a usage check that let the command through
// would fail later with exit 1, not 2.
const std::string kNowhere = "--brokers 127.0.0.1:1 --timeout 0.5 ";

void expect_usage_error(const std::string& args, const std::string& message) {
  const CliResult result = run_replay(args);
  EXPECT_EQ(result.exit_code, 2) << args << "\n" << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << args << "\n" << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(ReplayCliTest, NeedsBrokersOrConfig) {
  expect_usage_error("--from a --to b", "give --brokers or -c config.yaml");
}

TEST(ReplayCliTest, NeedsAnOriginWithoutConfig) {
  expect_usage_error(kNowhere + "--to b", "give --from");
}

TEST(ReplayCliTest, RefusesToReplayATopicIntoItself) {
  expect_usage_error(kNowhere + "--from a --to a", "--from and --to are the same topic");
}

TEST(ReplayCliTest, RefusesTheRelaysOwnGroup) {
  expect_usage_error(kNowhere + "--from a --to b --group cdp-relay", "--group must differ");
}

TEST(ReplayCliTest, RejectsMalformedFiltersAndUnknownReasons) {
  expect_usage_error(kNowhere + "--from a --to b --filter reason", "expected HEADER=VALUE");
  expect_usage_error(kNowhere + "--from a --to b --filter reason=retries_exhausted "
                                "--filter cdp.error.reason=http_5xx",
                     "no dead letter has cdp.error.reason=http_5xx");
}

TEST(ReplayCliTest, RejectsBadTimesAndAnEmptyWindow) {
  expect_usage_error(kNowhere + "--from a --to b --since yesterday", "--since \"yesterday\"");
  expect_usage_error(kNowhere + "--from a --to b --until 2024-02-30T00:00:00Z", "--until");
  expect_usage_error(kNowhere + "--from a --to b --since 2000 --until 1000",
                     "--since is after --until");
}

TEST(ReplayCliTest, RejectsANegativeRate) {
  const CliResult result = run_replay(kNowhere + "--from a --to b --rate -1");
  EXPECT_EQ(result.exit_code, 2) << result.err;
}

TEST(ReplayCliTest, ConfigErrorsAreReportedWithTheirPath) {
  const std::string path = ::testing::TempDir() + "cdp_relay_replay_cli_bad.yaml";
  std::ofstream(path) << "kafka:\n  brokers: \"\"\n";
  const CliResult result = run_replay("-c '" + path + "' --to b");
  std::remove(path.c_str());
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find("kafka.brokers"), std::string::npos) << result.err;
}

TEST(ReplayCliTest, UnreachableBrokersFailWithinTheTimeout) {
  const CliResult result = run_replay(kNowhere + "--from a --to b");
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("no answer from the Kafka brokers within 500 ms"), std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("FAILED"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace cdp_relay::replay
