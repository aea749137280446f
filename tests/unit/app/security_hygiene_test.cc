// Security and hygiene checks that need no running relay:
//  - TLS verification is on by default, `tls_verify: false` is the explicit
//    key that turns it off, and docs/config.md documents that key (the
//    warning itself is checked on the real binary in
//    tests/integration/tls_verify_test.cc);
//  - request URLs are never logged with their query string (which carries the
//    API key): every log call in src/ that mentions a URL passes it through
//    delivery::url_for_logs.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "app/config_loader.h"
#include "delivery/url.h"
#include "support/test_paths.h"

namespace cdp_relay::app {
namespace {

using cdp_relay::testing::read_file;
using cdp_relay::testing::source_path;

std::optional<std::string> no_env(const std::string&) { return std::nullopt; }

const std::string kBase =
    "sources:\n  - topic: raw-events\ndead_letter:\n  topic: dlq\ndestinations:\n  vidora:\n"
    "    api_key: k\n";

TEST(TlsVerifyConfigTest, OnByDefaultOffOnlyWithTheExplicitKey) {
  auto loaded = load_config_text(kBase, no_env);
  ASSERT_TRUE(loaded.errors.empty());
  EXPECT_TRUE(loaded.config.vidora.tls.verify);
  EXPECT_TRUE(loaded.config.spideo.tls.verify);
  loaded = load_config_text(kBase + "    tls_verify: false\n", no_env);
  ASSERT_TRUE(loaded.errors.empty());
  EXPECT_FALSE(loaded.config.vidora.tls.verify);
  // Only a boolean turns it off.
  loaded = load_config_text(kBase + "    tls_verify: no-thanks\n", no_env);
  EXPECT_FALSE(loaded.errors.empty());
}

TEST(TlsVerifyConfigTest, DocumentedInConfigMd) {
  const std::string doc = read_file(source_path("docs/config.md"));
  EXPECT_NE(doc.find("tls_verify: true"), std::string::npos);
  EXPECT_NE(doc.find("warning"), std::string::npos);
}

TEST(UrlForLogsTest, DropsQueryAndFragment) {
  EXPECT_EQ(delivery::url_for_logs("https://api.vidora.com/v1/events?api_key=secret"),
            "https://api.vidora.com/v1/events");
  EXPECT_EQ(delivery::url_for_logs("http://h/p#frag?x"), "http://h/p");
  EXPECT_EQ(delivery::url_for_logs("http://h/p"), "http://h/p");
}

// A static check over the sources: a log call (obs::log(...) up to its
// closing `);`) that mentions a url must strip it with url_for_logs.
TEST(UrlForLogsTest, EveryLoggedUrlIsStripped) {
  namespace fs = std::filesystem;
  const std::regex log_call(R"(obs::log\([^;]*\);)");
  const std::regex mentions_url(R"(\burl\b|\.url|url_|_url)", std::regex::icase);
  size_t calls = 0;
  for (const auto& entry : fs::recursive_directory_iterator(source_path("src"))) {
    if (entry.path().extension() != ".cc" && entry.path().extension() != ".h") continue;
    const std::string text = read_file(entry.path().string());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), log_call);
         it != std::sregex_iterator(); ++it) {
      ++calls;
      const std::string call = it->str();
      if (std::regex_search(call, mentions_url)) {
        EXPECT_NE(call.find("url_for_logs("), std::string::npos)
            << entry.path() << ": " << call;
      }
    }
  }
  EXPECT_GT(calls, 5u);  // the pattern still finds the log calls
}

}  // namespace
}  // namespace cdp_relay::app
