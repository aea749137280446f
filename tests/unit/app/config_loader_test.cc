// app/config_loader: YAML -> RelayConfig with ${ENV} substitution, unknown-key
// and type errors, semantic validation, every error with its full path, and
// no secret in any message (docs/config.md; STYLE.md "Config").
#include "app/config_loader.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "support/config_helpers.h"
#include "support/test_paths.h"

namespace cdp_relay::app {
namespace {

using cdp_relay::testing::read_file;
using cdp_relay::testing::source_path;

using cdp_relay::testing::all_errors;
using cdp_relay::testing::env_of;
using cdp_relay::testing::error_at;

bool has_error(const LoadedConfig& loaded, const std::string& path) {
  for (const auto& e : loaded.errors.all()) {
    if (e.path == path) return true;
  }
  return false;
}

// A minimal valid document to which single lines are added.
std::string base_config(const std::string& vidora_extra = "", const std::string& root_extra = "") {
  return "sources:\n  - topic: raw-events\ndead_letter:\n  topic: dlq\ndestinations:\n  vidora:\n"
         "    api_key: k\n" +
         vidora_extra + root_extra;
}

TEST(ConfigLoaderTest, DesignExampleLoadsWithEnvSubstitution) {
  const LoadedConfig loaded = load_config_file(
      source_path("tests/fixtures/config/full.yaml"),
      env_of({{"VIDORA_API_KEY", "vk-from-env"}, {"SPIDEO_API_KEY", "sp-from-env"}}));
  ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
  const RelayConfig& c = loaded.config;
  EXPECT_EQ(c.kafka.brokers, "localhost:9092");
  EXPECT_EQ(c.kafka.group_id, "cdp-relay");
  EXPECT_TRUE(c.kafka.consumer.empty());
  ASSERT_EQ(c.sources.size(), 1u);
  EXPECT_EQ(c.sources[0].topic, "raw-events");
  EXPECT_EQ(c.sources[0].format, decode::InputFormat::kAuto);
  EXPECT_EQ(c.dead_letter.topic, "raw-events.dlq");
  EXPECT_TRUE(c.normalized.enabled);
  EXPECT_EQ(c.normalized.topic, "events.normalized");
  EXPECT_TRUE(c.vidora.enabled);
  EXPECT_EQ(c.vidora.api_key, "vk-from-env");
  EXPECT_EQ(c.vidora.base_url, "https://api.vidora.com");
  EXPECT_EQ(c.vidora.path, "/v1/events");
  EXPECT_EQ(c.vidora.timestamp_format, destinations::vidora::TimestampFormat::kUnixSeconds);
  EXPECT_EQ(c.vidora.batch.max_events, 500u);
  EXPECT_EQ(c.vidora.batch.max_bytes, 524288u);
  EXPECT_EQ(c.vidora.batch.linger_ms, 100);
  EXPECT_EQ(c.vidora.retry.initial_backoff_ms, 200);
  EXPECT_EQ(c.vidora.retry.max_backoff_ms, 30000);
  EXPECT_EQ(c.vidora.retry.max_retry_duration_s, 3600);
  EXPECT_EQ(c.vidora.concurrency.initial, 8);
  EXPECT_EQ(c.vidora.concurrency.max, 64);
  EXPECT_EQ(c.vidora.rate_limit_per_s, 0);
  EXPECT_TRUE(c.vidora.personal_data_filtering);
  EXPECT_FALSE(c.spideo.enabled);
  EXPECT_EQ(c.spideo.api_key, "sp-from-env");
  EXPECT_EQ(c.spideo.client, "acme");
  EXPECT_EQ(c.spideo.method, "PUT");
  EXPECT_EQ(c.spideo.url_template,
            "https://{client}.spideo.tv/api/users/{user}/interactions/{interaction}/{content_id}");
  EXPECT_EQ(c.spideo.interactions,
            (std::map<std::string, std::string>{
                {"Video Content Playing", "play"}, {"Product Clicked", "click"}, {"Order Completed", "buy"}}));
  EXPECT_EQ(c.admin.listen, "0.0.0.0:9464");
  EXPECT_EQ(c.shutdown_grace_s, 30);
}

TEST(ConfigLoaderTest, MinimalConfigKeepsDefaultsAndPassesThroughKafkaProperties) {
  const LoadedConfig loaded =
      load_config_file(source_path("tests/fixtures/config/minimal.yaml"), env_of({}));
  ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
  const RelayConfig& c = loaded.config;
  EXPECT_EQ(c.kafka.consumer.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(c.kafka.consumer.at("sasl.mechanism"), "PLAIN");
  ASSERT_EQ(c.sources.size(), 2u);
  EXPECT_EQ(c.sources[0].format, decode::InputFormat::kSegment);
  EXPECT_EQ(c.sources[1].format, decode::InputFormat::kMparticle);
  EXPECT_FALSE(c.normalized.enabled);
  EXPECT_EQ(c.vidora.timestamp_format, destinations::vidora::TimestampFormat::kIso8601);
  EXPECT_EQ(c.vidora.batch.max_events, 500u);
  EXPECT_EQ(c.vidora.base_url, "https://api.vidora.com");
  EXPECT_EQ(c.admin.listen, "0.0.0.0:9464");
}

// Unset, the in-flight message bound follows the destinations' capacity:
// twice the events they can have in requests at their concurrency ceilings.
TEST(ConfigLoaderTest, InflightMessageBoundIsDerivedFromTheDestinationsUnlessSet) {
  const LoadedConfig defaults = load_config_text(base_config(), env_of({}));
  ASSERT_TRUE(defaults.errors.empty()) << all_errors(defaults);
  EXPECT_EQ(defaults.config.pipeline.max_inflight_messages, 2u * 64 * 500);

  const LoadedConfig wider = load_config_text(
      base_config("    concurrency:\n      max: 128\n    batch:\n      max_events: 1000\n"),
      env_of({}));
  ASSERT_TRUE(wider.errors.empty()) << all_errors(wider);
  EXPECT_EQ(wider.config.pipeline.max_inflight_messages, 2u * 128 * 1000);

  // Small destinations keep the floor.
  const LoadedConfig narrow =
      load_config_text(base_config("    concurrency:\n      initial: 2\n      max: 4\n"), env_of({}));
  ASSERT_TRUE(narrow.errors.empty()) << all_errors(narrow);
  EXPECT_EQ(narrow.config.pipeline.max_inflight_messages, pipeline::kMinDefaultInflightMessages);

  // Spideo sends one event per request: it adds its concurrency ceiling.
  const LoadedConfig both = load_config_text(
      base_config("", "  spideo:\n    enabled: true\n    api_key: s\n    client: acme\n"
                      "    concurrency:\n      max: 100\n"),
      env_of({}));
  ASSERT_TRUE(both.errors.empty()) << all_errors(both);
  EXPECT_EQ(both.config.pipeline.max_inflight_messages, 2u * (64 * 500 + 100));

  const LoadedConfig set = load_config_text(
      base_config("", "pipeline:\n  max_inflight_messages: 5000\n"), env_of({}));
  ASSERT_TRUE(set.errors.empty()) << all_errors(set);
  EXPECT_EQ(set.config.pipeline.max_inflight_messages, 5000u);
}

TEST(ConfigLoaderTest, DefaultValueSyntax) {
  const std::string yaml = base_config(
      "    base_url: ${VIDORA_URL:-https://fallback.example}\n"
      "    path: ${VIDORA_PATH:-/v9/fallback}\n",
      "kafka:\n  brokers: ${BROKERS:-b1:9092}\n  group_id: ${GROUP:-}grp\n");
  {
    const LoadedConfig loaded = load_config_text(yaml, env_of({}));
    ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
    EXPECT_EQ(loaded.config.vidora.base_url, "https://fallback.example");
    EXPECT_EQ(loaded.config.vidora.path, "/v9/fallback");
    EXPECT_EQ(loaded.config.kafka.brokers, "b1:9092");
    EXPECT_EQ(loaded.config.kafka.group_id, "grp");
  }
  {
    const LoadedConfig loaded = load_config_text(
        yaml, env_of({{"VIDORA_URL", "http://set.example"}, {"VIDORA_PATH", ""}, {"GROUP", "my-"}}));
    ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
    EXPECT_EQ(loaded.config.vidora.base_url, "http://set.example");
    EXPECT_EQ(loaded.config.vidora.path, "/v9/fallback");  // empty counts as unset
    EXPECT_EQ(loaded.config.kafka.group_id, "my-grp");
  }
}

TEST(ConfigLoaderTest, DoubleDollarIsALiteral) {
  const LoadedConfig loaded = load_config_text(
      base_config("", "kafka:\n  group_id: \"pre-$${NOT_A_VAR}-$${X:-y}-${SET}\"\n"),
      env_of({{"SET", "v"}}));
  ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
  EXPECT_EQ(loaded.config.kafka.group_id, "pre-${NOT_A_VAR}-${X:-y}-v");
}

TEST(ConfigLoaderTest, SubstitutedValuesCannotInjectYaml) {
  const LoadedConfig loaded = load_config_text(
      base_config("", "kafka:\n  group_id: ${EVIL}\n"),
      env_of({{"EVIL", "x\nshutdown_grace_s: 0\n"}}));
  ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
  EXPECT_EQ(loaded.config.kafka.group_id, "x\nshutdown_grace_s: 0\n");
  EXPECT_EQ(loaded.config.shutdown_grace_s, 30);
}

TEST(ConfigLoaderTest, UnsetVariableIsAnErrorWithItsPath) {
  const LoadedConfig loaded = load_config_file(source_path("tests/fixtures/config/full.yaml"),
                                               env_of({{"SPIDEO_API_KEY", "s"}}));
  EXPECT_EQ(error_at(loaded, "destinations.vidora.api_key"),
            "environment variable VIDORA_API_KEY is not set")
      << all_errors(loaded);
  // Also inside pass-through maps and list items.
  const LoadedConfig nested = load_config_text(
      "kafka:\n  consumer:\n    sasl.password: ${KAFKA_PASSWORD}\nsources:\n  - topic: ${TOPIC}\n"
      "dead_letter:\n  topic: dlq\ndestinations:\n  vidora:\n    api_key: k\n",
      env_of({}));
  EXPECT_EQ(error_at(nested, "kafka.consumer.sasl.password"),
            "environment variable KAFKA_PASSWORD is not set")
      << all_errors(nested);
  EXPECT_EQ(error_at(nested, "sources[0].topic"), "environment variable TOPIC is not set")
      << all_errors(nested);
}

TEST(ConfigLoaderTest, UnterminatedReferenceIsAnError) {
  const LoadedConfig loaded =
      load_config_text(base_config("", "kafka:\n  group_id: \"${OOPS\"\n"), env_of({{"OOPS", "x"}}));
  EXPECT_FALSE(error_at(loaded, "kafka.group_id").empty()) << all_errors(loaded);
}

TEST(ConfigLoaderTest, UnknownKeysAreReportedWithTheirFullPath) {
  const LoadedConfig loaded = load_config_text(
      base_config("    batch:\n      max_evnts: 10\n    colour: red\n",
                  "admin:\n  listen: \"0.0.0.0:9464\"\n  port: 1\ntypo_root: 1\n"),
      env_of({}));
  EXPECT_EQ(error_at(loaded, "destinations.vidora.batch.max_evnts"), "unknown key")
      << all_errors(loaded);
  EXPECT_EQ(error_at(loaded, "destinations.vidora.colour"), "unknown key");
  EXPECT_EQ(error_at(loaded, "admin.port"), "unknown key");
  EXPECT_EQ(error_at(loaded, "typo_root"), "unknown key");
  EXPECT_EQ(loaded.errors.all().size(), 4u) << all_errors(loaded);

  const LoadedConfig in_list = load_config_text(
      "sources:\n  - topic: t\n    fromat: auto\ndead_letter:\n  topic: d\ndestinations:\n"
      "  vidora:\n    api_key: k\n  vidoraa: {}\n",
      env_of({}));
  EXPECT_EQ(error_at(in_list, "sources[0].fromat"), "unknown key") << all_errors(in_list);
  EXPECT_EQ(error_at(in_list, "destinations.vidoraa"), "unknown key");
}

struct TypeErrorCase {
  std::string vidora_extra;
  std::string root_extra;
  std::string path;
};

TEST(ConfigLoaderTest, TypeErrors) {
  const std::vector<TypeErrorCase> cases = {
      {"    batch: { max_events: lots }\n", "", "destinations.vidora.batch.max_events"},
      {"    batch: { max_bytes: 1.5 }\n", "", "destinations.vidora.batch.max_bytes"},
      {"    batch: { linger_ms: 10ms }\n", "", "destinations.vidora.batch.linger_ms"},
      {"    batch: [1, 2]\n", "", "destinations.vidora.batch"},
      {"    enabled: maybe\n", "", "destinations.vidora.enabled"},
      {"    personal_data_filtering: 2\n", "", "destinations.vidora.personal_data_filtering"},
      {"    rate_limit_per_s: fast\n", "", "destinations.vidora.rate_limit_per_s"},
      {"    timestamp_format: unix_ns\n", "", "destinations.vidora.timestamp_format"},
      {"    base_url: [a, b]\n", "", "destinations.vidora.base_url"},
      {"    path: { a: 1 }\n", "", "destinations.vidora.path"},
      {"    concurrency: { max: 99999999999999999999 }\n", "", "destinations.vidora.concurrency.max"},
      // An int that does not fit must not wrap around silently (2^32 + 8).
      {"    concurrency: { initial: 4294967304 }\n", "", "destinations.vidora.concurrency.initial"},
      {"", "shutdown_grace_s: soon\n", "shutdown_grace_s"},
      {"", "kafka: [1]\n", "kafka"},
      {"", "kafka:\n  consumer: [1]\n", "kafka.consumer"},
      {"", "kafka:\n  consumer:\n    fetch.max.bytes: { a: 1 }\n", "kafka.consumer.fetch.max.bytes"},
      {"", "limits:\n  max_depth: deep\n", "limits.max_depth"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const LoadedConfig loaded = load_config_text(base_config(c.vidora_extra, c.root_extra), env_of({}));
    EXPECT_TRUE(has_error(loaded, c.path)) << all_errors(loaded);
  }
  const LoadedConfig sources = load_config_text(
      "sources: raw-events\ndead_letter:\n  topic: d\ndestinations:\n  vidora:\n    api_key: k\n",
      env_of({}));
  EXPECT_EQ(error_at(sources, "sources"), "must be a list") << all_errors(sources);
  const LoadedConfig bad_format = load_config_text(
      "sources:\n  - topic: t\n    format: xml\ndead_letter:\n  topic: d\ndestinations:\n  vidora:\n    api_key: k\n",
      env_of({}));
  EXPECT_TRUE(has_error(bad_format, "sources[0].format")) << all_errors(bad_format);
}

TEST(ConfigLoaderTest, YamlBooleansInEveryCoreSchemaSpelling) {
  for (const char* spelling : {"true", "True", "TRUE", "yes", "on"}) {
    const LoadedConfig loaded = load_config_text(
        base_config(std::string("    personal_data_filtering: ") + spelling + "\n"), env_of({}));
    EXPECT_TRUE(loaded.errors.empty()) << spelling << "\n" << all_errors(loaded);
    EXPECT_TRUE(loaded.config.vidora.personal_data_filtering) << spelling;
  }
  for (const char* spelling : {"false", "False", "FALSE", "no", "off"}) {
    const LoadedConfig loaded = load_config_text(
        base_config(std::string("    personal_data_filtering: ") + spelling + "\n"), env_of({}));
    EXPECT_TRUE(loaded.errors.empty()) << spelling << "\n" << all_errors(loaded);
    EXPECT_FALSE(loaded.config.vidora.personal_data_filtering) << spelling;
  }
}

TEST(ConfigLoaderTest, ZeroMaxEventsHasExactPath) {
  const LoadedConfig loaded =
      load_config_text(base_config("    batch: { max_events: 0 }\n"), env_of({}));
  ASSERT_EQ(loaded.errors.all().size(), 1u) << all_errors(loaded);
  EXPECT_EQ(loaded.errors.all()[0].path, "destinations.vidora.batch.max_events");
  EXPECT_FALSE(loaded.errors.all()[0].message.empty());
}

TEST(ConfigLoaderTest, EveryErrorIsReported) {
  const LoadedConfig loaded =
      load_config_file(source_path("tests/fixtures/config/many_errors.yaml"), env_of({}));
  for (const char* path : {
           "kafka.brokers", "kafka.colour", "sources[0].topic", "sources[0].format",
           "dead_letter.topic", "destinations.vidora.enabled", "destinations.vidora.base_url",
           "destinations.vidora.path", "destinations.vidora.timestamp_format",
           "destinations.vidora.batch.max_evnts", "destinations.vidora.batch.max_events",
           "destinations.vidora.batch.max_bytes", "destinations.vidora.batch.linger_ms",
           "destinations.vidora.retry.initial_backoff_ms", "destinations.vidora.retry.max_backoff_ms",
           "destinations.vidora.retry.max_retry_duration_s", "destinations.vidora.concurrency.initial",
           "destinations.vidora.rate_limit_per_s", "destinations.vidora.personal_data_filtering",
           "destinations.spideo.client", "destinations.spideo.method", "admin.listen",
           "shutdown_grace_s"}) {
    EXPECT_TRUE(has_error(loaded, path)) << path << "\n" << all_errors(loaded);
  }
  EXPECT_GE(loaded.errors.all().size(), 23u);
}

TEST(ConfigLoaderTest, SecretsNeverAppearInErrors) {
  const std::string secret = "sk_live_TOPSECRET_4c1d9e";
  std::vector<LoadedConfig> results;
  results.push_back(
      load_config_file(source_path("tests/fixtures/config/many_errors.yaml"), env_of({})));
  // The secret from the environment, in a config full of errors.
  std::string with_env = read_file(source_path("tests/fixtures/config/many_errors.yaml"));
  with_env.replace(with_env.find("\"" + secret + "\""), secret.size() + 2, "${VIDORA_API_KEY}");
  results.push_back(load_config_text(with_env, env_of({{"VIDORA_API_KEY", secret}})));
  // The secret where a scalar of another type is expected, in a mis-typed
  // mapping, under an unknown key, in a malformed reference, and in a YAML
  // syntax error on the secret's own line.
  for (const std::string& vidora_extra : {
           "    rate_limit_per_s: " + secret + "\n",
           "    personal_data_filtering: " + secret + "\n",
           "    batch: { max_events: " + secret + " }\n",
           "    timestamp_format: " + secret + "\n",
           "    api_kee: " + secret + "\n",
           "    base_url: \"${" + secret + "\"\n",
           "    path: \"" + secret + "\" : [\n",
           "    retry: \"" + secret + "\"\n",
       }) {
    results.push_back(load_config_text(base_config(vidora_extra), env_of({})));
  }
  results.push_back(load_config_text(
      "destinations:\n  vidora:\n    api_key: \"" + secret + "\n", env_of({})));  // unterminated
  results.push_back(load_config_text(
      "destinations:\n  vidora:\n    api_key: " + secret + "\n  - x\n", env_of({})));
  for (const LoadedConfig& loaded : results) {
    EXPECT_FALSE(loaded.errors.empty());
    for (const auto& e : loaded.errors.all()) {
      EXPECT_EQ(e.message.find(secret), std::string::npos) << e.path << ": " << e.message;
      EXPECT_EQ(e.path.find(secret), std::string::npos) << e.path << ": " << e.message;
      // Not even a recognisable fragment of it.
      EXPECT_EQ(e.message.find("TOPSECRET"), std::string::npos) << e.path << ": " << e.message;
      EXPECT_EQ(e.path.find("TOPSECRET"), std::string::npos) << e.path << ": " << e.message;
    }
  }
}

TEST(ConfigLoaderTest, AuthPlacementPerDestination) {
  const LoadedConfig defaults = load_config_text(base_config(), env_of({}));
  ASSERT_TRUE(defaults.errors.empty()) << all_errors(defaults);
  EXPECT_EQ(defaults.config.vidora.auth.placement, delivery::AuthPlacement::kQuery);
  EXPECT_EQ(defaults.config.spideo.auth.placement, delivery::AuthPlacement::kQuery);

  const LoadedConfig loaded = load_config_text(
      base_config("    auth: header\n    auth_header: X-API-Key\n    auth_value: \"{api_key}\"\n"
                  "  spideo:\n    enabled: true\n    api_key: s\n    client: acme\n"
                  "    auth: header\n"),
      env_of({}));
  ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
  EXPECT_EQ(loaded.config.vidora.auth.placement, delivery::AuthPlacement::kHeader);
  EXPECT_EQ(loaded.config.vidora.auth.header, "X-API-Key");
  EXPECT_EQ(loaded.config.vidora.auth.value_template, "{api_key}");
  EXPECT_EQ(loaded.config.spideo.auth.placement, delivery::AuthPlacement::kHeader);
  EXPECT_EQ(loaded.config.spideo.auth.header, "Authorization");
  EXPECT_EQ(loaded.config.spideo.auth.value_template, "Bearer {api_key}");

  const LoadedConfig bad = load_config_text(
      base_config("    auth: cookie\n    auth_header: \"X Key\"\n    auth_value: Bearer\n"),
      env_of({}));
  EXPECT_EQ(error_at(bad, "destinations.vidora.auth"), "must be one of query, header");
  EXPECT_TRUE(has_error(bad, "destinations.vidora.auth_header")) << all_errors(bad);
  EXPECT_EQ(error_at(bad, "destinations.vidora.auth_value"), "must contain {api_key} exactly once");
}

TEST(ConfigLoaderTest, EmptyAndNonMappingDocuments) {
  EXPECT_FALSE(load_config_text("", env_of({})).errors.empty());
  EXPECT_FALSE(load_config_text("- a\n- b\n", env_of({})).errors.empty());
  EXPECT_FALSE(load_config_text("key: [unclosed\n", env_of({})).errors.empty());
  const LoadedConfig missing = load_config_file("/nonexistent/cdp-relay.yaml", env_of({}));
  ASSERT_EQ(missing.errors.all().size(), 1u);
  EXPECT_EQ(missing.errors.all()[0].path, "(file)");
}

TEST(ConfigLoaderTest, RequiredSections) {
  const LoadedConfig loaded = load_config_text("kafka:\n  brokers: b:9092\n", env_of({}));
  EXPECT_TRUE(has_error(loaded, "sources")) << all_errors(loaded);
  EXPECT_TRUE(has_error(loaded, "dead_letter.topic")) << all_errors(loaded);
  EXPECT_TRUE(has_error(loaded, "destinations.vidora.api_key")) << all_errors(loaded);
}

// An enabled destination whose key is empty or blank after ${ENV} expansion
// can never deliver (401 forever): check-config and run refuse it.
TEST(ConfigLoaderTest, EnabledDestinationNeedsANonBlankKeyAfterExpansion) {
  const std::string doc =
      "sources:\n  - topic: t\ndead_letter:\n  topic: d\ndestinations:\n  vidora:\n"
      "    api_key: ${VIDORA_API_KEY}\n  spideo:\n    enabled: true\n    client: c\n"
      "    api_key: ${SPIDEO_API_KEY}\n";
  for (const std::string blank : {"", " ", "\n", " \t\r\n"}) {
    const LoadedConfig loaded =
        load_config_text(doc, env_of({{"VIDORA_API_KEY", blank}, {"SPIDEO_API_KEY", blank}}));
    EXPECT_TRUE(has_error(loaded, "destinations.vidora.api_key")) << all_errors(loaded);
    EXPECT_TRUE(has_error(loaded, "destinations.spideo.api_key")) << all_errors(loaded);
  }
  const LoadedConfig ok =
      load_config_text(doc, env_of({{"VIDORA_API_KEY", "vk"}, {"SPIDEO_API_KEY", "sk"}}));
  EXPECT_FALSE(has_error(ok, "destinations.vidora.api_key")) << all_errors(ok);
  EXPECT_FALSE(has_error(ok, "destinations.spideo.api_key")) << all_errors(ok);
  // A disabled destination may keep an empty key (the chart renders ${SPIDEO_API_KEY:-}).
  const LoadedConfig disabled = load_config_text(
      base_config("", "  spideo:\n    enabled: false\n    api_key: ${SPIDEO_API_KEY:-}\n"),
      env_of({}));
  EXPECT_FALSE(has_error(disabled, "destinations.spideo.api_key")) << all_errors(disabled);
}

TEST(ConfigLoaderTest, LogLevelAndAdminReadinessSettings) {
  const LoadedConfig loaded = load_config_text(
      base_config("", "admin:\n  listen: \"127.0.0.1:0\"\n  max_circuit_open_s: 5\nlog_level: warn\n"),
      env_of({}));
  ASSERT_TRUE(loaded.errors.empty()) << all_errors(loaded);
  EXPECT_EQ(loaded.config.admin.max_circuit_open_s, 5);
  EXPECT_EQ(loaded.config.log_level, obs::LogLevel::kWarn);

  const LoadedConfig bad = load_config_text(
      base_config("", "admin:\n  max_circuit_open_s: 0\nlog_level: chatty\n"), env_of({}));
  EXPECT_EQ(error_at(bad, "log_level"), "must be one of debug, info, warn, error") << all_errors(bad);
  EXPECT_EQ(error_at(bad, "admin.max_circuit_open_s"), "must be between 1 and 86400");
}

}  // namespace
}  // namespace cdp_relay::app
