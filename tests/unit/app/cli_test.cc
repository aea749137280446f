// The real cdp-relay binary, run as a child process through /bin/sh with
// redirections (README "Quick start"). Exit codes: 0 success, 2 usage
// or config error.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_paths.h"

namespace cdp_relay::app {
namespace {

using cdp_relay::testing::read_file;
using cdp_relay::testing::read_lines;
using cdp_relay::testing::relay_binary;
using cdp_relay::testing::source_path;
using nlohmann::json;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CliTest : public ::testing::Test {
 protected:
  std::string temp_path(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return ::testing::TempDir() + "cdp_relay_cli_" + info->name() + "_" + name;
  }

  // Runs `env_prefix relay args < stdin_file` and collects stdout, stderr and
  // the exit status.
  RunResult run(const std::string& args, const std::string& stdin_file = "/dev/null",
                const std::string& env_prefix = "") {
    const std::string err_file = temp_path("stderr");
    const std::string command = env_prefix + " '" + relay_binary() + "' " + args + " < '" +
                                stdin_file + "' 2> '" + err_file + "'";
    RunResult result;
    std::FILE* pipe = ::popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr) << command;
    if (pipe == nullptr) return result;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = read_file(err_file);
    std::remove(err_file.c_str());
    return result;
  }

  std::string write_temp(const std::string& name, const std::string& content) {
    const std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
};

// Messages that reach Vidora: not an alias, and not kept away by
// `integrations` (README "Routing").
size_t expected_vidora_events(const std::vector<std::string>& lines) {
  size_t count = 0;
  for (const auto& line : lines) {
    const json message = json::parse(line);
    if (message["type"] == "alias") continue;
    const json integrations = message.value("integrations", json::object());
    if (integrations.contains("Vidora")) {
      if (integrations["Vidora"] == false) continue;
    } else if (integrations.value("All", true) == false) {
      continue;
    }
    ++count;
  }
  return count;
}

TEST_F(CliTest, TransformPrintsOneJsonLinePerDeliverableMessage) {
  const std::string input = source_path("tests/fixtures/segment/messages.jsonl");
  const auto lines = read_lines("tests/fixtures/segment/messages.jsonl");
  const RunResult r = run("transform --destination vidora", input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Every input line is explained: the alias is skipped, two tracks are
  // filtered by their integrations object.
  EXPECT_EQ(r.err,
            R"({"skipped":{"destination":"vidora","reason":"unsupported_kind","kind":"alias",)"
            R"("line":13,"index":0}})" "\n"
            R"({"filtered":{"destination":"vidora","reason":"integrations","kind":"track",)"
            R"("name":"Article Bookmarked","line":14,"index":0}})" "\n"
            R"({"filtered":{"destination":"vidora","reason":"integrations","kind":"track",)"
            R"("name":"Article Commented","line":16,"index":0}})" "\n");
  const auto out = split_lines(r.out);
  EXPECT_EQ(out.size(), expected_vidora_events(lines));
  EXPECT_EQ(out.size(), 17u);  // 20 messages - 1 alias - 2 filtered by integrations
  for (const auto& line : out) {
    const json event = json::parse(line, nullptr, false);
    ASSERT_FALSE(event.is_discarded()) << line;
    EXPECT_TRUE(event.is_object());
    EXPECT_TRUE(event.contains("user_id")) << line;
  }
}

TEST_F(CliTest, BadLineProducesOneErrorLineWithItsLineNumber) {
  const auto good = read_lines("tests/fixtures/segment/messages.jsonl");
  const std::string bad =
      R"({"type":"track","event":"No Identity","timestamp":"2024-03-01T09:00:00Z","messageId":"bad-1"})";
  // Lines 1-3 good, line 4 bad, then a blank line (5) and line 6 good.
  const std::string input =
      write_temp("input.jsonl", good[1] + "\n" + good[2] + "\n" + good[3] + "\n" + bad + "\n\n" + good[4] + "\n");
  const RunResult r = run("transform", input);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(split_lines(r.out).size(), 4u);
  const auto err = split_lines(r.err);
  ASSERT_EQ(err.size(), 1u) << r.err;
  const json line = json::parse(err[0], nullptr, false);
  ASSERT_FALSE(line.is_discarded()) << err[0];
  ASSERT_TRUE(line.contains("error")) << err[0];
  EXPECT_EQ(line["error"]["reason"], "missing_identity");
  EXPECT_EQ(line["error"]["line"], 4);
  EXPECT_EQ(line["error"]["stage"], "validate");
  EXPECT_TRUE(line["error"]["message"].is_string());
  std::remove(input.c_str());
}

TEST_F(CliTest, InvalidJsonAndBatchItemsAreReportedPerLine) {
  const std::string input = write_temp(
      "input.jsonl",
      "{not json\n"
      R"({"batch":[{"type":"track","event":"A","userId":"u","timestamp":"2024-03-01T09:00:00Z"},{"type":"track","userId":"u","timestamp":"2024-03-01T09:00:00Z"}]})"
      "\n");
  const RunResult r = run("transform --format auto", input);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(split_lines(r.out).size(), 1u);
  const auto err = split_lines(r.err);
  ASSERT_EQ(err.size(), 2u) << r.err;
  const json first = json::parse(err[0]), second = json::parse(err[1]);
  EXPECT_EQ(first["error"]["reason"], "invalid_json");
  EXPECT_EQ(first["error"]["line"], 1);
  EXPECT_EQ(second["error"]["reason"], "missing_event_name");
  EXPECT_EQ(second["error"]["line"], 2);
  EXPECT_EQ(second["error"]["index"], 1);
  std::remove(input.c_str());
}

TEST_F(CliTest, CheckConfigReportsEveryErrorWithoutSecrets) {
  const std::string file = source_path("tests/fixtures/config/many_errors.yaml");
  const RunResult r = run("check-config -c '" + file + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  const auto err = split_lines(r.err);
  ASSERT_GE(err.size(), 20u) << r.err;
  const std::regex shape("^" + file + ": [a-z_\\[\\]0-9.]+: .+$");
  bool saw_max_events = false;
  for (const auto& line : err) {
    EXPECT_TRUE(std::regex_match(line, shape)) << line;
    EXPECT_EQ(line.find("TOPSECRET"), std::string::npos) << line;
    saw_max_events |= line.rfind(file + ": destinations.vidora.batch.max_events: ", 0) == 0;
  }
  EXPECT_TRUE(saw_max_events) << r.err;
  EXPECT_EQ(r.err.find("sk_live_TOPSECRET_4c1d9e"), std::string::npos);
}

TEST_F(CliTest, CheckConfigSecretFromEnvironmentNeverPrinted) {
  const std::string file = source_path("tests/fixtures/config/full.yaml");
  // SPIDEO_API_KEY unset: an error; the Vidora key must not leak alongside it.
  const RunResult r = run("check-config -c '" + file + "'", "/dev/null",
                          "env -u SPIDEO_API_KEY VIDORA_API_KEY=sk_live_ENVSECRET_77");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(file + ": destinations.spideo.api_key: "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("ENVSECRET"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("ENVSECRET"), std::string::npos) << r.out;
}

TEST_F(CliTest, CheckConfigAcceptsGoodConfigs) {
  const RunResult minimal =
      run("check-config -c '" + source_path("tests/fixtures/config/minimal.yaml") + "'");
  EXPECT_EQ(minimal.exit_code, 0) << minimal.err;
  EXPECT_EQ(minimal.err, "");
  EXPECT_EQ(minimal.out.find("vk_test_minimal"), std::string::npos);

  const RunResult full =
      run("check-config -c '" + source_path("tests/fixtures/config/full.yaml") + "'", "/dev/null",
          "env VIDORA_API_KEY=sk_live_ENVSECRET_77 SPIDEO_API_KEY=sp");
  EXPECT_EQ(full.exit_code, 0) << full.err;
  EXPECT_EQ(full.out.find("ENVSECRET"), std::string::npos);
}

TEST_F(CliTest, CheckConfigOnMissingFileIsAConfigError) {
  const RunResult r = run("check-config -c /nonexistent/cdp-relay.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run("frobnicate").exit_code, 2);
  EXPECT_EQ(run("").exit_code, 2);  // a subcommand is required
  EXPECT_EQ(run("check-config").exit_code, 2);  // -c is required
  EXPECT_EQ(run("transform --destination nowhere").exit_code, 2);
  EXPECT_EQ(run("transform --format xml").exit_code, 2);
  EXPECT_EQ(run("transform --no-such-flag").exit_code, 2);
}

// `run --from-timestamp`: every refusal happens before anything connects, with
// the reason on stderr and exit 2 (the fixture's brokers do not exist).
TEST_F(CliTest, BackfillFlagErrorsExitTwoWithTheReason) {
  const std::string run_minimal =
      "run -c '" + source_path("tests/fixtures/config/minimal.yaml") + "' ";
  struct Case {
    std::string args;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"--from-timestamp yesterday", "--from-timestamp \"yesterday\": expected ms since"},
           {"--from-timestamp 2024-02-30T00:00:00Z", "expected ms since the epoch"},
           {"--from-timestamp 1732096800", "milliseconds, not seconds"},
           {"--from-timestamp 2999-01-01T00:00:00Z", "in the future"},
           {"--from-timestamp 2024-11-20T10:00:00Z --group cdp-relay", "is the live group"},
           {"--group history", "--group requires --from-timestamp"},
           {"--allow-live-group", "--allow-live-group requires --from-timestamp"},
       }) {
    SCOPED_TRACE(c.args);
    const RunResult r = run(run_minimal + c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.reason), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("vk_test_minimal"), std::string::npos) << "no secret in errors";
  }
}

TEST_F(CliTest, HelpForEverySubcommandExitsZero) {
  for (const char* args : {"--help", "run --help", "check-config --help", "transform --help",
                           "demo --help"}) {
    SCOPED_TRACE(args);
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(r.out.empty());
  }
}

}  // namespace
}  // namespace cdp_relay::app
