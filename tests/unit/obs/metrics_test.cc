// obs::Metrics registers exactly the list of obs/metric_names.h, with the
// declared types and labels, and the typed handles update the series they
// name (STYLE.md "Metrics").
#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "obs/metric_names.h"

namespace cdp_relay::obs {
namespace {

std::string type_name(metric::Type type) {
  switch (type) {
    case metric::Type::kCounter: return "counter";
    case metric::Type::kGauge: return "gauge";
    case metric::Type::kHistogram: return "histogram";
  }
  return "?";
}

// "# TYPE name type" lines of an exposition.
std::map<std::string, std::string> declared_types(const std::string& text) {
  std::map<std::string, std::string> types;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream fields(line.substr(7));
    std::string name, type;
    fields >> name >> type;
    types[name] = type;
  }
  return types;
}

// The value of the sample line that starts with `series` (name{labels}).
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

// The label names of the first sample of `name` (before any le= label).
std::set<std::string> label_names(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t brace = line.find('{');
    const std::string sample_name = line.substr(0, std::min(brace, line.find(' ')));
    if (sample_name != name && sample_name != name + "_count") continue;
    std::set<std::string> labels;
    if (brace == std::string::npos || brace > line.find(' ')) return labels;
    const std::string body = line.substr(brace + 1, line.find('}') - brace - 1);
    size_t pos = 0;
    while (pos < body.size()) {
      const size_t eq = body.find('=', pos);
      labels.insert(body.substr(pos, eq - pos));
      const size_t close = body.find('"', body.find('"', eq) + 1);
      pos = close + 2;  // past `",`
    }
    return labels;
  }
  return {{"<no sample>"}};
}

std::set<std::string> split_labels(std::string_view list) {
  std::set<std::string> out;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    out.emplace(list.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

// A registry where every family has at least one series.
std::string populated_exposition(Metrics& metrics) {
  metrics.source().topic("raw-events").events->Increment();
  metrics.source().add_partition("raw-events", 3);
  metrics.route("vidora");
  metrics.delivery("vidora").http_response(503).Increment();
  metrics.kafka_sink("dead_letter");
  return metrics.exposition();
}

TEST(MetricNamesTest, NamesArePrefixedUniqueAndFollowPrometheusConventions) {
  std::set<std::string_view> seen;
  for (const metric::Spec* spec : metric::kAll) {
    EXPECT_TRUE(seen.insert(spec->name).second) << "declared twice: " << spec->name;
    EXPECT_EQ(spec->name.rfind("cdp_relay_", 0), 0u) << spec->name;
    const bool total = spec->name.size() > 6 && spec->name.substr(spec->name.size() - 6) == "_total";
    EXPECT_EQ(total, spec->type == metric::Type::kCounter) << spec->name;
    EXPECT_FALSE(spec->help.empty()) << spec->name;
    for (const auto& label : split_labels(spec->labels)) {
      // Bounded label sets only (STYLE.md smell 5).
      static const std::set<std::string> kAllowed = {"topic", "partition", "destination", "reason",
                                                     "code",  "sink",      "event",       "version", "kind"};
      EXPECT_TRUE(kAllowed.count(label)) << spec->name << " has label " << label;
    }
  }
}

TEST(MetricNamesTest, DesignSectionSixSeriesAreDeclaredWithTheirLabels) {
  // The core series (README "Metrics"): the contract.
  const std::map<std::string, std::string> core = {
      {"cdp_relay_events_consumed_total", "topic"},
      {"cdp_relay_events_invalid_total", "reason"},
      {"cdp_relay_events_routed_total", "destination"},
      {"cdp_relay_events_delivered_total", "destination"},
      {"cdp_relay_events_dead_lettered_total", "destination,reason"},
      {"cdp_relay_http_requests_total", "destination,code"},
      {"cdp_relay_http_request_duration_seconds", "destination"},
      {"cdp_relay_batch_events", "destination"},
      {"cdp_relay_inflight_requests", "destination"},
      {"cdp_relay_concurrency_limit", "destination"},
      {"cdp_relay_retries_total", "destination"},
      {"cdp_relay_circuit_open", "destination"},
      {"cdp_relay_consumer_lag", "topic,partition"},
      {"cdp_relay_end_to_end_latency_seconds", "destination"},
      {"cdp_relay_commit_offset", "topic,partition"},
      {"cdp_relay_build_info", "version"},
  };
  for (const auto& [name, labels] : core) {
    bool found = false;
    for (const metric::Spec* spec : metric::kAll) {
      if (spec->name != name) continue;
      found = true;
      EXPECT_EQ(spec->labels, labels) << name;
    }
    EXPECT_TRUE(found) << name;
  }
}

TEST(MetricsTest, ExportsEveryDeclaredSeriesWithItsTypeAndLabels) {
  Metrics metrics("1.2.3");
  const std::string text = populated_exposition(metrics);
  const auto types = declared_types(text);
  EXPECT_EQ(types.size(), metric::kAll.size()) << text;
  for (const metric::Spec* spec : metric::kAll) {
    const std::string name(spec->name);
    ASSERT_TRUE(types.count(name)) << name << " missing from\n" << text;
    EXPECT_EQ(types.at(name), type_name(spec->type)) << name;
    EXPECT_EQ(label_names(text, name), split_labels(spec->labels)) << name;
  }
  EXPECT_EQ(sample(text, "cdp_relay_build_info{version=\"1.2.3\"}"), 1.0);
}

TEST(MetricsTest, DeliveryHandlesUpdateTheirDestinationsSeries) {
  Metrics metrics("t");
  DeliveryMetrics& vidora = metrics.delivery("vidora");
  EXPECT_EQ(&vidora, &metrics.delivery("vidora")) << "one handle per destination";
  vidora.delivered.Increment(3);
  vidora.http_response(0).Increment();
  vidora.http_response(429).Increment(2);
  vidora.dead_lettered(Reason::kRetriesExhausted).Increment();
  vidora.request_duration.Observe(0.02);
  vidora.batch_events.Observe(500);
  vidora.end_to_end_latency.Observe(7200);
  vidora.concurrency_limit.Set(8);
  const std::string text = metrics.exposition();
  EXPECT_EQ(sample(text, "cdp_relay_events_delivered_total{destination=\"vidora\"}"), 3.0);
  EXPECT_EQ(sample(text, "cdp_relay_http_requests_total{code=\"0\",destination=\"vidora\"}"), 1.0);
  EXPECT_EQ(sample(text, "cdp_relay_http_requests_total{code=\"429\",destination=\"vidora\"}"), 2.0);
  // The 2xx series exists before any response, for "no deliveries" alerts.
  EXPECT_EQ(sample(text, "cdp_relay_http_requests_total{code=\"200\",destination=\"vidora\"}"), 0.0);
  EXPECT_EQ(sample(text, "cdp_relay_events_dead_lettered_total{destination=\"vidora\",reason=\"retries_exhausted\"}"), 1.0);
  EXPECT_EQ(sample(text, "cdp_relay_http_request_duration_seconds_bucket{destination=\"vidora\",le=\"0.025\"}"), 1.0);
  EXPECT_EQ(sample(text, "cdp_relay_http_request_duration_seconds_bucket{destination=\"vidora\",le=\"0.01\"}"), 0.0);
  EXPECT_EQ(sample(text, "cdp_relay_batch_events_bucket{destination=\"vidora\",le=\"500\"}"), 1.0);
  EXPECT_EQ(sample(text, "cdp_relay_end_to_end_latency_seconds_bucket{destination=\"vidora\",le=\"3600\"}"), 0.0);
  EXPECT_EQ(sample(text, "cdp_relay_end_to_end_latency_seconds_bucket{destination=\"vidora\",le=\"21600\"}"), 1.0);
  EXPECT_EQ(sample(text, "cdp_relay_concurrency_limit{destination=\"vidora\"}"), 8.0);
}

TEST(MetricsTest, DecodeFailuresAreDeadLetteredUnderDestinationNone) {
  Metrics metrics("t");
  metrics.transform().invalid(Reason::kInvalidJson).Increment();
  metrics.transform().dead_lettered(Reason::kInvalidJson).Increment();
  const std::string text = metrics.exposition();
  EXPECT_EQ(sample(text, "cdp_relay_events_invalid_total{reason=\"invalid_json\"}"), 1.0);
  EXPECT_EQ(sample(text, "cdp_relay_events_dead_lettered_total{destination=\"none\",reason=\"invalid_json\"}"), 1.0);
  // Every decode reason has a zero series from the start.
  EXPECT_EQ(sample(text, "cdp_relay_events_invalid_total{reason=\"missing_identity\"}"), 0.0);
}

TEST(MetricsTest, RevokedPartitionsLeaveNoSeries) {
  Metrics metrics("t");
  SourceMetrics& source = metrics.source();
  source.add_partition("raw-events", 0).lag->Set(42);
  source.add_partition("raw-events", 1);
  EXPECT_EQ(sample(metrics.exposition(), "cdp_relay_consumer_lag{partition=\"0\",topic=\"raw-events\"}"), 42.0);
  source.remove_partition("raw-events", 0);
  EXPECT_EQ(source.partition("raw-events", 0), nullptr);
  ASSERT_NE(source.partition("raw-events", 1), nullptr);
  const std::string text = metrics.exposition();
  EXPECT_FALSE(sample(text, "cdp_relay_consumer_lag{partition=\"0\",topic=\"raw-events\"}"));
  EXPECT_FALSE(sample(text, "cdp_relay_commit_offset{partition=\"0\",topic=\"raw-events\"}"));
  EXPECT_TRUE(sample(text, "cdp_relay_consumer_lag{partition=\"1\",topic=\"raw-events\"}"));
}

TEST(MetricsTest, TwoRegistriesDoNotShareSeries) {
  Metrics a("t"), b("t");
  a.delivery("vidora").delivered.Increment();
  EXPECT_EQ(sample(b.exposition(), "cdp_relay_events_delivered_total{destination=\"vidora\"}"),
            std::nullopt);
}

// A batch flushed into a histogram must leave it exactly as observing each
// value would: same bucket counts (values on a bound fall in that bound's
// bucket), same count and sum.
TEST(HistogramBatchTest, FlushEqualsObservingEachValue) {
  const std::vector<double> bounds = {0.05, 0.1, 1, 10};
  prometheus::Histogram one_by_one(bounds);
  prometheus::Histogram batched(bounds);
  HistogramBatch batch(bounds);
  EXPECT_TRUE(batch.empty());
  const std::vector<double> values = {0, 0.05, 0.051, 0.1, 0.5, 1, 9.99, 10, 10.01, 1e6, 0.05};
  for (double value : values) {
    one_by_one.Observe(value);
    batch.observe(value);
  }
  EXPECT_FALSE(batch.empty());
  batch.flush_to(batched);
  EXPECT_TRUE(batch.empty());
  batch.flush_to(batched);  // nothing observed since: adds nothing

  const auto expected = one_by_one.Collect().histogram;
  const auto actual = batched.Collect().histogram;
  EXPECT_EQ(actual.sample_count, values.size());
  EXPECT_EQ(actual.sample_count, expected.sample_count);
  EXPECT_DOUBLE_EQ(actual.sample_sum, expected.sample_sum);
  ASSERT_EQ(actual.bucket.size(), expected.bucket.size());
  for (size_t i = 0; i < expected.bucket.size(); ++i) {
    EXPECT_EQ(actual.bucket[i].cumulative_count, expected.bucket[i].cumulative_count) << i;
  }
  // 0, 0.05, 0.05 | 0.051, 0.1 | 0.5, 1 | 9.99, 10 | 10.01, 1e6
  EXPECT_EQ(actual.bucket[0].cumulative_count, 3u);
  EXPECT_EQ(actual.bucket[2].cumulative_count, 7u);

  // A second round accumulates on top of the first.
  batch.observe(0.2);
  batch.flush_to(batched);
  EXPECT_EQ(batched.Collect().histogram.sample_count, values.size() + 1);
  EXPECT_EQ(batched.Collect().histogram.bucket[2].cumulative_count, 8u);
}

}  // namespace
}  // namespace cdp_relay::obs
