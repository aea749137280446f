// docs/config.md's reference block must load cleanly: the documentation of
// every key cannot drift from the loader (STYLE.md "Config").
#include <gtest/gtest.h>

#include "app/config_loader.h"
#include "support/test_paths.h"

namespace cdp_relay::app {
namespace {

std::string first_yaml_block(const std::string& markdown) {
  const std::string open = "```yaml\n";
  const size_t start = markdown.find(open);
  if (start == std::string::npos) return {};
  const size_t end = markdown.find("```", start + open.size());
  return markdown.substr(start + open.size(), end - start - open.size());
}

TEST(ConfigDocTest, ReferenceBlockLoadsWithoutErrors) {
  const std::string yaml =
      first_yaml_block(testing::read_file(testing::source_path("docs/config.md")));
  ASSERT_FALSE(yaml.empty()) << "docs/config.md has no ```yaml block";
  const LoadedConfig loaded = load_config_text(yaml, [](const std::string& name) {
    return name == "VIDORA_API_KEY" ? std::optional<std::string>("doc-key") : std::nullopt;
  });
  for (const auto& error : loaded.errors.all()) ADD_FAILURE() << error.path << ": " << error.message;
  EXPECT_EQ(loaded.config.vidora.api_key, "doc-key");
  EXPECT_TRUE(loaded.config.normalized.enabled);
  EXPECT_EQ(loaded.config.sources.size(), 1u);
  EXPECT_EQ(loaded.config.vidora.retry.auth_hold_ms, 30000);
  EXPECT_EQ(loaded.config.kafka.consumer.at("session.timeout.ms"), "45000");
}

// The block documents the defaults: every value it states must equal the
// default the code has when the key is omitted.
TEST(ConfigDocTest, DocumentedValuesAreTheDefaults) {
  const std::string yaml =
      first_yaml_block(testing::read_file(testing::source_path("docs/config.md")));
  const LoadedConfig doc = load_config_text(yaml, [](const std::string&) {
    return std::optional<std::string>("k");
  });
  const RelayConfig defaults;
  EXPECT_EQ(doc.config.limits.max_message_bytes, defaults.limits.max_message_bytes);
  EXPECT_EQ(doc.config.limits.max_depth, defaults.limits.max_depth);
  EXPECT_EQ(doc.config.limits.max_batch_items, defaults.limits.max_batch_items);
  // Its default is derived from the destinations' (documented) settings.
  EXPECT_EQ(doc.config.pipeline.max_inflight_messages, derived_max_inflight_messages(doc.config));
  EXPECT_EQ(doc.config.pipeline.max_inflight_bytes, defaults.pipeline.max_inflight_bytes);
  EXPECT_EQ(doc.config.pipeline.request_timeout_ms, defaults.pipeline.request_timeout_ms);
  EXPECT_EQ(doc.config.vidora.batch.max_events, defaults.vidora.batch.max_events);
  EXPECT_EQ(doc.config.vidora.batch.max_bytes, defaults.vidora.batch.max_bytes);
  EXPECT_EQ(doc.config.vidora.batch.linger_ms, defaults.vidora.batch.linger_ms);
  EXPECT_EQ(doc.config.vidora.retry.initial_backoff_ms, defaults.vidora.retry.initial_backoff_ms);
  EXPECT_EQ(doc.config.vidora.retry.max_backoff_ms, defaults.vidora.retry.max_backoff_ms);
  EXPECT_EQ(doc.config.vidora.retry.max_retry_duration_s,
            defaults.vidora.retry.max_retry_duration_s);
  EXPECT_EQ(doc.config.vidora.concurrency.initial, defaults.vidora.concurrency.initial);
  EXPECT_EQ(doc.config.vidora.concurrency.max, defaults.vidora.concurrency.max);
  EXPECT_EQ(doc.config.vidora.base_url, defaults.vidora.base_url);
  EXPECT_EQ(doc.config.vidora.path, defaults.vidora.path);
  EXPECT_EQ(doc.config.spideo.url_template, defaults.spideo.url_template);
  EXPECT_EQ(doc.config.spideo.interactions, defaults.spideo.interactions);
  EXPECT_EQ(doc.config.spideo.audiences.enabled, defaults.spideo.audiences.enabled);
  for (const auto* auth : {&doc.config.vidora.auth, &doc.config.spideo.auth}) {
    EXPECT_EQ(auth->placement, defaults.vidora.auth.placement);
    EXPECT_EQ(auth->header, defaults.vidora.auth.header);
    EXPECT_EQ(auth->value_template, defaults.vidora.auth.value_template);
  }
  EXPECT_EQ(doc.config.admin.listen, defaults.admin.listen);
  EXPECT_EQ(doc.config.admin.max_circuit_open_s, defaults.admin.max_circuit_open_s);
  EXPECT_EQ(doc.config.log_level, defaults.log_level);
  EXPECT_EQ(doc.config.shutdown_grace_s, defaults.shutdown_grace_s);
}

}  // namespace
}  // namespace cdp_relay::app
