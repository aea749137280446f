#include "app/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

namespace cdp_relay::app {
namespace {

struct LoadContext {
  const EnvLookup& env;
  util::ConfigErrors& errors;
};

// Expands ${NAME} and ${NAME:-fallback} in one scalar.
std::string substitute_env(const std::string& raw, const std::string& path, LoadContext& ctx) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw.compare(i, 3, "$${") == 0) {
      out.append("${");
      i += 2;
      continue;
    }
    if (raw.compare(i, 2, "${") != 0) {
      out.push_back(raw[i]);
      continue;
    }
    const size_t close = raw.find('}', i + 2);
    if (close == std::string::npos) {
      ctx.errors.add(path, "unterminated ${...} reference");
      return out;
    }
    std::string name = raw.substr(i + 2, close - i - 2);
    std::optional<std::string> fallback;
    if (const size_t sep = name.find(":-"); sep != std::string::npos) {
      fallback = name.substr(sep + 2);
      name.resize(sep);
    }
    std::optional<std::string> value = ctx.env(name);
    if (value && value->empty() && fallback) value.reset();
    if (!value) value = fallback;
    if (!value) {
      ctx.errors.add(path, "environment variable " + name + " is not set");
    } else {
      out.append(*value);
    }
    i = close;
  }
  return out;
}

// A mapping key that is null, a sequence or a mapping (`~: 1`, `[a]: 1`,
// `{}: 1`): YAML allows it, no config key is one, and Node::as<std::string>()
// throws on it, which once took check-config down (fuzz: config_loader_fuzz).
constexpr const char* kNonScalarKey = "has a key that is not a string";

// One YAML mapping being read into a struct. Each read marks its key as known;
// finish() reports the keys nobody asked for, like Vector's deny_unknown_fields.
class Section {
 public:
  Section(YAML::Node node, std::string path, LoadContext& ctx)
      : node_(std::move(node)), path_(std::move(path)), ctx_(ctx) {}

  std::string child_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  // The scalar at `key` after ${ENV} substitution, or nullopt if absent/null.
  std::optional<std::string> scalar(std::string_view key) {
    known_.insert(std::string(key));
    YAML::Node value = node_[std::string(key)];
    if (!value || value.IsNull()) return std::nullopt;
    if (!value.IsScalar()) {
      ctx_.errors.add(child_path(key), "must be a scalar value");
      return std::nullopt;
    }
    return substitute_env(value.Scalar(), child_path(key), ctx_);
  }

  void read(std::string_view key, std::string& out) {
    if (auto value = scalar(key)) out = *value;
  }

  void read(std::string_view key, bool& out) {
    auto value = scalar(key);
    if (!value) return;
    // YAML 1.2 core-schema spellings (true/True/TRUE), plus YAML 1.1's yes/on.
    if (*value == "true" || *value == "True" || *value == "TRUE" || *value == "yes" ||
        *value == "on") {
      out = true;
    } else if (*value == "false" || *value == "False" || *value == "FALSE" || *value == "no" ||
               *value == "off") {
      out = false;
    } else {
      ctx_.errors.add(child_path(key), "must be true or false");
    }
  }

  template <typename Int>
  void read_integer(std::string_view key, Int& out) {
    auto value = scalar(key);
    if (!value) return;
    try {
      size_t used = 0;
      const long long parsed = std::stoll(*value, &used);
      if (used != value->size()) throw std::invalid_argument("trailing");
      if (std::is_unsigned_v<Int> && parsed < 0) {
        ctx_.errors.add(child_path(key), "must be > 0");
        return;
      }
      // A value the field cannot hold must not wrap around (2^32 + 8 into an
      // int would silently become 8).
      if (std::cmp_greater(parsed, std::numeric_limits<Int>::max()) ||
          std::cmp_less(parsed, std::numeric_limits<Int>::min())) {
        ctx_.errors.add(child_path(key), "is out of range");
        return;
      }
      out = static_cast<Int>(parsed);
    } catch (const std::exception&) {
      ctx_.errors.add(child_path(key), "must be an integer");
    }
  }
  void read(std::string_view key, int64_t& out) { read_integer(key, out); }
  void read(std::string_view key, int& out) { read_integer(key, out); }
  void read(std::string_view key, size_t& out) { read_integer(key, out); }

  void read(std::string_view key, double& out) {
    auto value = scalar(key);
    if (!value) return;
    try {
      size_t used = 0;
      out = std::stod(*value, &used);
      if (used != value->size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      ctx_.errors.add(child_path(key), "must be a number");
    }
  }

  // A flat map of scalars (librdkafka pass-through, Spideo interactions).
  void read(std::string_view key, std::map<std::string, std::string>& out) {
    known_.insert(std::string(key));
    YAML::Node value = node_[std::string(key)];
    if (!value || value.IsNull()) return;
    if (!value.IsMap()) {
      ctx_.errors.add(child_path(key), "must be a mapping");
      return;
    }
    out.clear();
    for (const auto& entry : value) {
      if (!entry.first.IsScalar()) {
        ctx_.errors.add(child_path(key), kNonScalarKey);
        continue;
      }
      const std::string name = entry.first.Scalar();
      const std::string entry_path = child_path(key) + "." + name;
      if (!entry.second.IsScalar()) {
        ctx_.errors.add(entry_path, "must be a scalar value");
        continue;
      }
      out[name] = substitute_env(entry.second.Scalar(), entry_path, ctx_);
    }
  }

  // A list of scalars (GDPR purposes).
  void read(std::string_view key, std::vector<std::string>& out) {
    known_.insert(std::string(key));
    YAML::Node value = node_[std::string(key)];
    if (!value || value.IsNull()) return;
    if (!value.IsSequence()) {
      ctx_.errors.add(child_path(key), "must be a list");
      return;
    }
    out.clear();
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string item_path = child_path(key) + "[" + std::to_string(i) + "]";
      if (!value[i].IsScalar()) {
        ctx_.errors.add(item_path, "must be a scalar value");
        continue;
      }
      out.push_back(substitute_env(value[i].Scalar(), item_path, ctx_));
    }
  }

  // A nested mapping, or nullopt when absent. Reports a non-mapping value.
  std::optional<Section> section(std::string_view key) {
    known_.insert(std::string(key));
    YAML::Node value = node_[std::string(key)];
    if (!value || value.IsNull()) return std::nullopt;
    if (!value.IsMap()) {
      ctx_.errors.add(child_path(key), "must be a mapping");
      return std::nullopt;
    }
    return Section(value, child_path(key), ctx_);
  }

  // Whether `key` is present with a non-null value. Does not mark it known.
  bool has(std::string_view key) {
    YAML::Node value = node_[std::string(key)];
    return value && !value.IsNull();
  }

  YAML::Node raw(std::string_view key) {
    known_.insert(std::string(key));
    return node_[std::string(key)];
  }

  void finish() {
    for (const auto& entry : node_) {
      if (!entry.first.IsScalar()) {
        ctx_.errors.add(path_.empty() ? "(yaml)" : path_, kNonScalarKey);
        continue;
      }
      const std::string key = entry.first.Scalar();
      if (!known_.count(key)) ctx_.errors.add(child_path(key), "unknown key");
    }
  }

  LoadContext& ctx() { return ctx_; }

 private:
  YAML::Node node_;
  std::string path_;
  LoadContext& ctx_;
  std::set<std::string> known_;
};

void read_batch(Section& parent, delivery::BatchSettings& batch) {
  auto section = parent.section("batch");
  if (!section) return;
  section->read("max_events", batch.max_events);
  section->read("max_bytes", batch.max_bytes);
  section->read("linger_ms", batch.linger_ms);
  section->finish();
}

void read_retry(Section& parent, delivery::RetrySettings& retry) {
  auto section = parent.section("retry");
  if (!section) return;
  section->read("initial_backoff_ms", retry.initial_backoff_ms);
  section->read("max_backoff_ms", retry.max_backoff_ms);
  section->read("max_retry_duration_s", retry.max_retry_duration_s);
  section->read("auth_hold_ms", retry.auth_hold_ms);
  section->finish();
}

void read_concurrency(Section& parent, delivery::ConcurrencySettings& concurrency) {
  auto section = parent.section("concurrency");
  if (!section) return;
  section->read("initial", concurrency.initial);
  section->read("max", concurrency.max);
  section->finish();
}

// A destination's transport keys, shared by every HTTP destination:
// `tls_verify` (the older spelling), `tls` and `proxy`.
void read_transport(Section& destination, delivery::TlsSettings& tls, std::string& proxy) {
  const bool has_legacy_verify = destination.has("tls_verify");
  destination.read("tls_verify", tls.verify);
  const bool legacy_verify = tls.verify;
  if (auto section = destination.section("tls")) {
    if (section->has("verify")) {
      section->read("verify", tls.verify);
      if (has_legacy_verify && tls.verify != legacy_verify) {
        section->ctx().errors.add(section->child_path("verify"),
                                  "disagrees with tls_verify; keep only tls.verify");
      }
    }
    section->read("ca_file", tls.ca_file);
    section->read("cert_file", tls.cert_file);
    section->read("key_file", tls.key_file);
    // A passphrase written into the file would land in a ConfigMap: only an
    // ${ENV} reference (a Secret) is accepted. The error never quotes it.
    const YAML::Node password = section->raw("key_password");
    if (password && password.IsScalar() && !password.Scalar().empty() &&
        password.Scalar().find("${") == std::string::npos) {
      section->ctx().errors.add(section->child_path("key_password"),
                                "must be an ${ENV} reference, not a literal secret");
    } else {
      section->read("key_password", tls.key_password);
    }
    section->finish();
  }
  destination.read("proxy", proxy);
}

void read_rules(Section& routing, std::string_view key, std::vector<route::RouteRule>& rules) {
  YAML::Node list = routing.raw(key);
  if (!list || list.IsNull()) return;
  const std::string path = routing.child_path(key);
  if (!list.IsSequence()) {
    routing.ctx().errors.add(path, "must be a list of {kind, event}");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) {
      routing.ctx().errors.add(item_path, "must be a mapping with kind and/or event");
      continue;
    }
    Section item(list[i], item_path, routing.ctx());
    route::RouteRule rule;
    item.read("kind", rule.kind);
    item.read("event", rule.event);
    item.finish();
    rules.push_back(std::move(rule));
  }
}

void read_routing(Section& parent, route::RoutingRules& rules) {
  auto section = parent.section("routing");
  if (!section) return;
  read_rules(*section, "include", rules.include);
  read_rules(*section, "exclude", rules.exclude);
  if (auto consent = section->section("consent")) {
    consent->read("block_ccpa_opt_out", rules.consent.block_ccpa_opt_out);
    consent->read("required_gdpr_purposes", rules.consent.required_gdpr_purposes);
    consent->finish();
  }
  section->finish();
}

// `auth`, `auth_header`, `auth_value`: the same keys for every destination.
void read_auth(Section& section, delivery::AuthSettings& auth) {
  if (auto placement = section.scalar("auth")) {
    if (auto parsed = delivery::auth_placement_from(*placement)) {
      auth.placement = *parsed;
    } else {
      section.ctx().errors.add(section.child_path("auth"), "must be one of query, header");
    }
  }
  section.read("auth_header", auth.header);
  section.read("auth_value", auth.value_template);
}

void read_vidora(Section& section, destinations::vidora::VidoraSettings& vidora) {
  section.read("enabled", vidora.enabled);
  section.read("api_key", vidora.api_key);
  read_auth(section, vidora.auth);
  section.read("base_url", vidora.base_url);
  section.read("path", vidora.path);
  if (auto format = section.scalar("timestamp_format")) {
    if (auto parsed = destinations::vidora::timestamp_format_from(*format)) {
      vidora.timestamp_format = *parsed;
    } else {
      section.ctx().errors.add(section.child_path("timestamp_format"),
                               "must be one of unix_s, unix_ms, iso8601");
    }
  }
  read_batch(section, vidora.batch);
  read_retry(section, vidora.retry);
  read_concurrency(section, vidora.concurrency);
  section.read("rate_limit_per_s", vidora.rate_limit_per_s);
  section.read("personal_data_filtering", vidora.personal_data_filtering);
  section.read("segment_context", vidora.segment_context);
  read_transport(section, vidora.tls, vidora.proxy);
  read_routing(section, vidora.routing);
  section.finish();
}

void read_spideo(Section& section, destinations::spideo::SpideoSettings& spideo) {
  section.read("enabled", spideo.enabled);
  section.read("api_key", spideo.api_key);
  read_auth(section, spideo.auth);
  section.read("client", spideo.client);
  section.read("url_template", spideo.url_template);
  section.read("method", spideo.method);
  section.read("interactions", spideo.interactions);
  read_retry(section, spideo.retry);
  read_concurrency(section, spideo.concurrency);
  section.read("rate_limit_per_s", spideo.rate_limit_per_s);
  read_transport(section, spideo.tls, spideo.proxy);
  read_routing(section, spideo.routing);
  if (auto audiences = section.section("audiences")) {
    audiences->read("enabled", spideo.audiences.enabled);
    audiences->read("url_template", spideo.audiences.url_template);
    audiences->read("method", spideo.audiences.method);
    audiences->finish();
  }
  section.finish();
}

void read_sources(Section& root, std::vector<source::SourceTopic>& sources) {
  YAML::Node list = root.raw("sources");
  if (!list || list.IsNull()) return;
  if (!list.IsSequence()) {
    root.ctx().errors.add("sources", "must be a list");
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "sources[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) {
      root.ctx().errors.add(path, "must be a mapping with topic and format");
      continue;
    }
    Section item(list[i], path, root.ctx());
    source::SourceTopic topic;
    item.read("topic", topic.topic);
    if (auto format = item.scalar("format")) {
      if (auto parsed = decode::input_format_from(*format)) {
        topic.format = *parsed;
      } else {
        root.ctx().errors.add(path + ".format", "must be one of auto, segment, mparticle");
      }
    }
    item.finish();
    sources.push_back(std::move(topic));
  }
}

void read_root(Section& root, RelayConfig& config) {
  if (auto kafka = root.section("kafka")) {
    kafka->read("brokers", config.kafka.brokers);
    kafka->read("group_id", config.kafka.group_id);
    kafka->read("consumer", config.kafka.consumer);
    kafka->read("producer", config.kafka.producer);
    kafka->finish();
  }
  read_sources(root, config.sources);
  if (auto limits = root.section("limits")) {
    limits->read("max_message_bytes", config.limits.max_message_bytes);
    limits->read("max_depth", config.limits.max_depth);
    limits->read("max_batch_items", config.limits.max_batch_items);
    limits->read("max_string_bytes", config.limits.max_string_bytes);
    limits->finish();
  }
  if (auto dead_letter = root.section("dead_letter")) {
    dead_letter->read("topic", config.dead_letter.topic);
    dead_letter->finish();
  }
  if (auto normalized = root.section("normalized")) {
    config.normalized.enabled = true;
    normalized->read("topic", config.normalized.topic);
    normalized->finish();
  }
  if (auto destinations = root.section("destinations")) {
    if (auto vidora = destinations->section("vidora")) read_vidora(*vidora, config.vidora);
    if (auto spideo = destinations->section("spideo")) read_spideo(*spideo, config.spideo);
    destinations->finish();
  }
  bool inflight_messages_set = false;
  if (auto pipeline = root.section("pipeline")) {
    inflight_messages_set = pipeline->scalar("max_inflight_messages").has_value();
    pipeline->read("max_inflight_messages", config.pipeline.max_inflight_messages);
    pipeline->read("max_inflight_bytes", config.pipeline.max_inflight_bytes);
    pipeline->read("rebalance_drain_timeout_ms", config.pipeline.rebalance_drain_timeout_ms);
    pipeline->read("request_timeout_ms", config.pipeline.request_timeout_ms);
    pipeline->finish();
  }
  if (auto admin = root.section("admin")) {
    admin->read("listen", config.admin.listen);
    admin->read("max_circuit_open_s", config.admin.max_circuit_open_s);
    admin->finish();
  }
  if (!inflight_messages_set) {
    config.pipeline.max_inflight_messages = derived_max_inflight_messages(config);
  }
  root.read("shutdown_grace_s", config.shutdown_grace_s);
  if (auto level = root.scalar("log_level")) {
    if (auto parsed = obs::log_level_from(*level)) {
      config.log_level = *parsed;
    } else {
      root.ctx().errors.add("log_level", "must be one of debug, info, warn, error");
    }
  }
  root.finish();
}

}  // namespace

size_t derived_max_inflight_messages(const RelayConfig& config) {
  size_t events_at_ceiling = 0;
  if (config.vidora.enabled) {
    events_at_ceiling +=
        static_cast<size_t>(config.vidora.concurrency.max) * config.vidora.batch.max_events;
  }
  if (config.spideo.enabled) {
    events_at_ceiling += static_cast<size_t>(config.spideo.concurrency.max) *
                         destinations::spideo::kEventsPerRequest;
  }
  return std::max(pipeline::kMinDefaultInflightMessages, 2 * events_at_ceiling);
}

util::ConfigErrors RelayConfig::validate() const {
  util::ConfigErrors errors;
  kafka.validate("kafka", errors);
  errors.check(!sources.empty(), "sources", "must list at least one topic");
  for (size_t i = 0; i < sources.size(); ++i) {
    sources[i].validate("sources[" + std::to_string(i) + "]", errors);
  }
  errors.check(limits.max_message_bytes > 0, "limits.max_message_bytes", "must be > 0");
  errors.check(limits.max_depth >= 1 && limits.max_depth <= 1024, "limits.max_depth",
               "must be between 1 and 1024");
  errors.check(limits.max_batch_items > 0, "limits.max_batch_items", "must be > 0");
  errors.check(limits.max_string_bytes > 0, "limits.max_string_bytes", "must be > 0");
  dead_letter.validate("dead_letter", errors);
  normalized.validate("normalized", errors);
  vidora.validate("destinations.vidora", errors);
  spideo.validate("destinations.spideo", errors);
  errors.check(vidora.enabled || spideo.enabled, "destinations",
               "at least one destination must be enabled");
  admin.validate("admin", errors);
  errors.check(pipeline.max_inflight_messages >= 1, "pipeline.max_inflight_messages", "must be >= 1");
  errors.check(pipeline.max_inflight_bytes >= (1u << 20), "pipeline.max_inflight_bytes",
               "must be >= 1048576");
  errors.check(pipeline.rebalance_drain_timeout_ms >= 0, "pipeline.rebalance_drain_timeout_ms",
               "must be >= 0");
  errors.check(pipeline.request_timeout_ms >= 100, "pipeline.request_timeout_ms", "must be >= 100");
  errors.check(shutdown_grace_s >= 1 && shutdown_grace_s <= 3600, "shutdown_grace_s",
               "must be between 1 and 3600");
  return errors;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

LoadedConfig load_config_text(std::string_view yaml, const EnvLookup& env) {
  LoadedConfig loaded;
  YAML::Node document;
  try {
    document = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    // The mark gives line/column; the message is the parser's, not our values.
    loaded.errors.add("(yaml)", "line " + std::to_string(error.mark.line + 1) + ", column " +
                                    std::to_string(error.mark.column + 1) + ": " + error.msg);
    return loaded;
  }
  if (!document || document.IsNull()) {
    loaded.errors.add("(yaml)", "the config is empty");
    return loaded;
  }
  if (!document.IsMap()) {
    loaded.errors.add("(yaml)", "the config must be a mapping");
    return loaded;
  }
  LoadContext ctx{env, loaded.errors};
  Section root(document, "", ctx);
  read_root(root, loaded.config);
  const util::ConfigErrors semantic_errors = loaded.config.validate();
  for (const auto& error : semantic_errors.all()) {
    loaded.errors.add(error.path, error.message);
  }
  // A key of only whitespace (an env var set to " ", a Secret file's lone
  // newline) passes "is required" yet is answered 401 forever: refuse it here,
  // where ${ENV} expansion is known. Empty keys are reported by validate().
  auto refuse_blank_key = [&](bool enabled, const std::string& key, const char* path) {
    if (enabled && !key.empty() && key.find_first_not_of(" \t\r\n") == std::string::npos)
      loaded.errors.add(path, "is blank after ${ENV} expansion");
  };
  refuse_blank_key(loaded.config.vidora.enabled, loaded.config.vidora.api_key,
                   "destinations.vidora.api_key");
  refuse_blank_key(loaded.config.spideo.enabled, loaded.config.spideo.api_key,
                   "destinations.spideo.api_key");
  return loaded;
}

LoadedConfig load_config_file(const std::string& file, const EnvLookup& env) {
  std::ifstream in(file);
  if (!in) {
    LoadedConfig loaded;
    loaded.errors.add("(file)", "cannot read " + file);
    return loaded;
  }
  std::stringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), env);
}

}  // namespace cdp_relay::app
