// TLS verification (docs/config.md `tls`): on by default; the
// explicit `tls.verify: false` key turns it off, and the relay process then
// logs a warning naming the key. Checked on the real binary's log.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <string>

#include "integration/harness.h"

namespace cdp_relay::integration {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void stop(ChildRelay& child) {
  child.signal(SIGTERM);
  const auto status = child.wait(60s);
  ASSERT_TRUE(status.has_value()) << child.log();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << child.log();
}

TEST(TlsVerifyIntegrationTest, OffIsLoggedAsAWarningNamingTheKey) {
  TestCluster cluster(1);
  auto emulator = start_emulator();
  TempDir dir;
  auto config = relay_config(cluster, *emulator, "it-tls-off");
  config.vidora.tls.verify = false;
  ChildRelay child(config, dir, "relay");
  ASSERT_TRUE(wait_until([&] { return contains(child.log(), "relay started"); }, 60s))
      << child.log();
  const std::string log = child.log();
  EXPECT_TRUE(contains(log, R"("level":"warn","msg":"TLS certificate verification is OFF for vidora")"))
      << log;
  EXPECT_TRUE(contains(log, R"("key":"destinations.vidora.tls.verify")")) << log;
  stop(child);
}

TEST(TlsVerifyIntegrationTest, DefaultIsOnAndLogsNoWarning) {
  TestCluster cluster(1);
  auto emulator = start_emulator();
  TempDir dir;
  const auto config = relay_config(cluster, *emulator, "it-tls-on");
  ASSERT_TRUE(config.vidora.tls.verify);
  ChildRelay child(config, dir, "relay");
  ASSERT_TRUE(wait_until([&] { return contains(child.log(), "relay started"); }, 60s))
      << child.log();
  EXPECT_FALSE(contains(child.log(), "TLS certificate verification")) << child.log();
  stop(child);
}

}  // namespace
}  // namespace cdp_relay::integration
