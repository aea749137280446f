// The transport keys of every HTTP destination (`tls_verify`, `tls.*`,
// `proxy`), read by one shared function of app/config_loader: spellings,
// file checks at load time, and secrets that never appear in an error.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "app/config_loader.h"
#include "support/config_helpers.h"

namespace cdp_relay::app {
namespace {

using cdp_relay::testing::all_errors;
using cdp_relay::testing::env_of;
using cdp_relay::testing::error_at;

class DestinationTransportConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cdp-relay-transport-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(file("ca.pem")) << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::ofstream(file("client.pem")) << "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
    std::ofstream(file("client.key")) << "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYBYTES\n-----END PRIVATE KEY-----\n";
    std::ofstream(file("not-pem.txt")) << "TOPSECRETKEYBYTES but no PEM armour\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  LoadedConfig load(const std::string& vidora_extra, const std::string& spideo_extra = "",
                    std::map<std::string, std::string> env = {}) {
    std::string yaml =
        "sources:\n  - topic: raw-events\ndead_letter:\n  topic: dlq\ndestinations:\n"
        "  vidora:\n    api_key: k\n" + vidora_extra;
    if (!spideo_extra.empty()) {
      yaml += "  spideo:\n    enabled: true\n    api_key: k\n    client: c\n" + spideo_extra;
    }
    return load_config_text(yaml, env_of(std::move(env)));
  }

  std::filesystem::path dir_;
};

TEST_F(DestinationTransportConfigTest, TlsBlockAndProxyAreReadForEveryDestination) {
  const std::string block = "    tls:\n      verify: true\n      ca_file: " + file("ca.pem") +
                            "\n      cert_file: " + file("client.pem") +
                            "\n      key_file: " + file("client.key") +
                            "\n      key_password: ${KEY_PASS}\n"
                            "    proxy: http://user:${PROXY_PASS}@proxy.internal:3128\n";
  const auto loaded = load(block, block, {{"KEY_PASS", "kp"}, {"PROXY_PASS", "pp"}});
  ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
  for (const auto* tls : {&loaded.config.vidora.tls, &loaded.config.spideo.tls}) {
    EXPECT_TRUE(tls->verify);
    EXPECT_EQ(tls->ca_file, file("ca.pem"));
    EXPECT_EQ(tls->cert_file, file("client.pem"));
    EXPECT_EQ(tls->key_file, file("client.key"));
    EXPECT_EQ(tls->key_password, "kp");
  }
  EXPECT_EQ(loaded.config.vidora.proxy, "http://user:pp@proxy.internal:3128");
  EXPECT_EQ(loaded.config.spideo.proxy, "http://user:pp@proxy.internal:3128");
}

TEST_F(DestinationTransportConfigTest, BothSpellingsOfVerifyWorkAndMustAgree) {
  EXPECT_FALSE(load("    tls_verify: false\n").config.vidora.tls.verify);
  EXPECT_FALSE(load("    tls:\n      verify: false\n").config.vidora.tls.verify);
  EXPECT_TRUE(load("").config.vidora.tls.verify);
  const auto agree = load("    tls_verify: false\n    tls:\n      verify: false\n");
  EXPECT_TRUE(agree.errors.empty()) << all_errors(agree);
  const auto disagree = load("    tls_verify: false\n    tls:\n      verify: true\n");
  EXPECT_NE(error_at(disagree, "destinations.vidora.tls.verify"), "") << all_errors(disagree);
}

TEST_F(DestinationTransportConfigTest, FilesAreCheckedAtLoadNamingTheKeyNeverTheContents) {
  const auto missing = load("    tls:\n      ca_file: " + file("nope.pem") + "\n");
  EXPECT_NE(error_at(missing, "destinations.vidora.tls.ca_file").find("does not exist"),
            std::string::npos)
      << all_errors(missing);

  const auto directory = load("", "    tls:\n      cert_file: " + dir_.string() + "\n");
  EXPECT_NE(error_at(directory, "destinations.spideo.tls.cert_file"), "") << all_errors(directory);

  const auto not_pem = load("    tls:\n      cert_file: " + file("client.pem") +
                            "\n      key_file: " + file("not-pem.txt") + "\n");
  EXPECT_NE(error_at(not_pem, "destinations.vidora.tls.key_file").find("no PEM"),
            std::string::npos)
      << all_errors(not_pem);
  EXPECT_EQ(all_errors(not_pem).find("TOPSECRETKEYBYTES"), std::string::npos);

  const auto key_alone = load("    tls:\n      key_file: " + file("client.key") + "\n");
  EXPECT_NE(error_at(key_alone, "destinations.vidora.tls.key_file"), "") << all_errors(key_alone);
}

TEST_F(DestinationTransportConfigTest, KeyPasswordMustComeFromTheEnvironment) {
  const auto literal = load("    tls:\n      cert_file: " + file("client.pem") +
                            "\n      key_password: hunter2-literal\n");
  EXPECT_NE(error_at(literal, "destinations.vidora.tls.key_password"), "") << all_errors(literal);
  EXPECT_EQ(all_errors(literal).find("hunter2-literal"), std::string::npos) << all_errors(literal);
  EXPECT_EQ(literal.config.vidora.tls.key_password, "");
}

TEST_F(DestinationTransportConfigTest, ProxyNeedsAKnownSchemeAndTheErrorDoesNotQuoteIt) {
  const auto bad = load("    proxy: ftp://user:s3cret-proxy@proxy:21\n");
  EXPECT_NE(error_at(bad, "destinations.vidora.proxy"), "") << all_errors(bad);
  EXPECT_EQ(all_errors(bad).find("s3cret-proxy"), std::string::npos) << all_errors(bad);
  for (const char* ok : {"http://p:3128", "https://p:443", "socks5://p:1080", "socks5h://p:1080"}) {
    const auto loaded = load(std::string("    proxy: ") + ok + "\n");
    EXPECT_TRUE(loaded.errors.empty()) << ok << ": " << all_errors(loaded);
  }
}

}  // namespace
}  // namespace cdp_relay::app
