// delivery::ApiKeyAuth and AuthSettings: the key as a query parameter (the
// default) or in a configurable header, validated so that no setting can
// split a header line, and never echoed in an error.
#include "delivery/api_key_auth.h"

#include <gtest/gtest.h>

namespace cdp_relay::delivery {
namespace {

AuthSettings header_auth(std::string header, std::string value_template) {
  AuthSettings settings;
  settings.placement = AuthPlacement::kHeader;
  settings.header = std::move(header);
  settings.value_template = std::move(value_template);
  return settings;
}

TEST(ApiKeyAuthTest, QueryModeAppendsTheEscapedKeyAndNoHeader) {
  const ApiKeyAuth auth(AuthSettings{}, "api_key", "k/+ y");
  std::string url = "https://h/v1/events";
  auth.append_to_url(url);
  EXPECT_EQ(url, "https://h/v1/events?api_key=k%2F%2B%20y");
  std::string with_query = "https://h/x?a=1";
  auth.append_to_url(with_query);
  EXPECT_EQ(with_query, "https://h/x?a=1&api_key=k%2F%2B%20y");
  std::vector<std::string> headers;
  auth.add_header(headers);
  EXPECT_TRUE(headers.empty());
  EXPECT_EQ(auth.secrets(), (std::vector<std::string>{"k/+ y", "k%2F%2B%20y"}));
}

TEST(ApiKeyAuthTest, HeaderModeSendsTheTemplatedHeaderAndLeavesTheUrl) {
  const ApiKeyAuth bearer(AuthSettings{.placement = AuthPlacement::kHeader}, "apikey", "k/+1");
  std::string url = "https://h/x";
  bearer.append_to_url(url);
  EXPECT_EQ(url, "https://h/x");
  std::vector<std::string> headers = {"Expect:"};
  bearer.add_header(headers);
  EXPECT_EQ(headers, (std::vector<std::string>{"Expect:", "Authorization: Bearer k/+1"}));

  const ApiKeyAuth plain(header_auth("X-API-Key", "{api_key}"), "apikey", "k/+1");
  std::vector<std::string> plain_headers;
  plain.add_header(plain_headers);
  EXPECT_EQ(plain_headers, (std::vector<std::string>{"X-API-Key: k/+1"}));
}

TEST(AuthSettingsTest, PlacementNames) {
  EXPECT_EQ(auth_placement_from("query"), AuthPlacement::kQuery);
  EXPECT_EQ(auth_placement_from("header"), AuthPlacement::kHeader);
  EXPECT_EQ(auth_placement_from("Header"), std::nullopt);
  EXPECT_EQ(auth_placement_from("basic"), std::nullopt);
  EXPECT_EQ(to_string(AuthPlacement::kHeader), "header");
}

TEST(AuthSettingsTest, RejectsHeadersThatCouldSplitOrClash) {
  const std::string secret = "TOPSECRET\r\nX-Evil: 1";
  struct Case {
    AuthSettings settings;
    std::string path;
  };
  const std::vector<Case> cases = {
      {header_auth("", "{api_key}"), "d.auth_header"},
      {header_auth("X API Key", "{api_key}"), "d.auth_header"},
      {header_auth("X-Key:", "{api_key}"), "d.auth_header"},
      {header_auth("content-type", "{api_key}"), "d.auth_header"},
      {header_auth("Host", "{api_key}"), "d.auth_header"},
      {header_auth("X-Key", "Bearer"), "d.auth_value"},
      {header_auth("X-Key", "{api_key}{api_key}"), "d.auth_value"},
      {header_auth("X-Key", "Bearer {api_key}\r\nX-Evil: 1"), "d.auth_value"},
  };
  for (const Case& c : cases) {
    util::ConfigErrors errors;
    c.settings.validate("d", "key", errors);
    ASSERT_EQ(errors.all().size(), 1u) << c.settings.header << " / " << c.settings.value_template;
    EXPECT_EQ(errors.all()[0].path, c.path);
  }
  // A key with a line break cannot go in a header; the error never shows it.
  util::ConfigErrors errors;
  header_auth("X-Key", "{api_key}").validate("d", secret, errors);
  ASSERT_EQ(errors.all().size(), 1u);
  EXPECT_EQ(errors.all()[0].path, "d.api_key");
  EXPECT_EQ(errors.all()[0].message.find("TOPSECRET"), std::string::npos);
  // In query mode the key is percent-encoded, so the same key is fine there.
  util::ConfigErrors query_errors;
  AuthSettings{}.validate("d", secret, query_errors);
  EXPECT_TRUE(query_errors.empty());
  // Valid header settings.
  for (const AuthSettings& ok : {header_auth("X-API-Key", "{api_key}"),
                                 header_auth("Authorization", "Bearer {api_key}"),
                                 header_auth("x.key~1", "Token token={api_key}, v=1")}) {
    util::ConfigErrors none;
    ok.validate("d", "key", none);
    EXPECT_TRUE(none.empty()) << ok.header;
  }
}

}  // namespace
}  // namespace cdp_relay::delivery
