// `cdp-relay emulate` as a child process: prints its listening line with the
// real port, serves, and exits 0 on SIGTERM (docs/emulator.md).
#include <gtest/gtest.h>
#include <httplib.h>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "support/test_paths.h"

extern char** environ;

namespace cdp_relay {
namespace {

// A child process whose stdout is a pipe.
class Child {
 public:
  explicit Child(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }

  bool started() const { return pid_ > 0; }

  // Reads stdout up to the first newline; "" on EOF or after `timeout`.
  std::string read_line(std::chrono::seconds timeout) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char c = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{out_, POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) continue;
      if (read(out_, &c, 1) != 1) return "";
      if (c == '\n') return line;
      line.push_back(c);
    }
    return "";
  }

  // Sends `signal` and returns the exit status (-1 if not a normal exit).
  int signal_and_wait(int signal) {
    kill(pid_, signal);
    return wait_exit();
  }

  int wait_exit() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

TEST(EmulateCommandTest, ServesOnTheAnnouncedPortAndExitsZeroOnSigterm) {
  Child child({testing::relay_binary(), "emulate", "--listen", "127.0.0.1:0", "--api-key",
               "cli-key", "--schemas", testing::source_path("schemas")});
  ASSERT_TRUE(child.started());
  const std::string line = child.read_line(std::chrono::seconds(30));
  std::smatch match;
  ASSERT_TRUE(std::regex_match(line, match,
                               std::regex(R"(emulator listening on http://127\.0\.0\.1:(\d+))")))
      << line;
  const int port = std::stoi(match[1]);
  ASSERT_GT(port, 0);

  httplib::Client client("127.0.0.1", port);
  auto res = client.Post(
      "/v1/events?api_key=cli-key",
      R"({"data":[{"user_id":"u1","type":"identify","timestamp":1700000000,"event_id":"m1"}]})",
      "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"accepted":1})");
  client.stop();

  EXPECT_EQ(child.signal_and_wait(SIGTERM), 0);
}

TEST(EmulateCommandTest, BadListenAddressIsAUsageError) {
  Child child({testing::relay_binary(), "emulate", "--listen", "nope", "--api-key", "k"});
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.wait_exit(), 2);
}

TEST(EmulateCommandTest, BadScriptIsAUsageError) {
  Child child({testing::relay_binary(), "emulate", "--listen", "127.0.0.1:0", "--api-key", "k",
               "--schemas", testing::source_path("schemas"), "--script", "/nonexistent.json"});
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.wait_exit(), 2);
}

}  // namespace
}  // namespace cdp_relay
