// The summary line `cdp-relay replay` prints, and how keys are shown.
#include "replay/replay_report.h"

#include <gtest/gtest.h>

namespace cdp_relay::replay {
namespace {

ReplayReport base_report() {
  ReplayReport report;
  report.from_topic = "raw-events.dlq";
  report.to_topic = "raw-events";
  report.group = "cdp-relay-replay";
  report.read = 300;
  report.selected = 200;
  report.replayed = 200;
  report.filtered_out = 90;
  report.before_window = 10;
  report.selected_by_reason = {{"retries_exhausted", 150}, {"client_error", 50}};
  PartitionProgress p0;
  p0.partition = 0;
  p0.committed = 300;
  PartitionProgress p1;
  p1.partition = 1;
  report.partitions = {p0, p1};
  return report;
}

TEST(SummaryLineTest, CompletedReplay) {
  EXPECT_EQ(summary_line(base_report()),
            "replay raw-events.dlq -> raw-events (group cdp-relay-replay): read 300, replayed "
            "200, filtered out 90, before --since 10; by reason: client_error=50 "
            "retries_exhausted=150; committed 0@300");
}

TEST(SummaryLineTest, FailureSaysWhatWasAcknowledged) {
  ReplayReport report = base_report();
  report.outcome = Outcome::kFailed;
  report.error = "topic \"x\" does not exist";
  report.replayed = 120;
  const std::string line = summary_line(report);
  EXPECT_NE(line.find("FAILED: topic \"x\" does not exist;"), std::string::npos) << line;
  EXPECT_NE(line.find("replayed 120 of 200 selected"), std::string::npos) << line;
}

TEST(SummaryLineTest, NothingCommitted) {
  ReplayReport report = base_report();
  for (auto& partition : report.partitions) partition.committed.reset();
  EXPECT_NE(summary_line(report).find("; nothing to commit"), std::string::npos);
}

TEST(SummaryLineTest, StopsAreNamed) {
  ReplayReport report = base_report();
  report.partitions[1].stopped_at_until = true;
  report.max_events_reached = true;
  const std::string line = summary_line(report);
  EXPECT_NE(line.find("stopped at --until on 1 partition(s)"), std::string::npos) << line;
  EXPECT_NE(line.find("--max-events reached"), std::string::npos) << line;
}

TEST(SummaryLineTest, DryRunListsSamplesAndCommitsNothing) {
  ReplayReport report = base_report();
  report.dry_run = true;
  report.replayed = 0;
  report.samples = {{std::string("user-1"), 0, 5, "client_error"}, {std::nullopt, 0, 6, "x"}};
  const std::string line = summary_line(report);
  EXPECT_EQ(line.rfind("dry run raw-events.dlq -> raw-events", 0), 0u) << line;
  EXPECT_NE(line.find("would replay 200"), std::string::npos) << line;
  EXPECT_NE(line.find("first keys: \"user-1\" (0@5) (null) (0@6)"), std::string::npos) << line;
  EXPECT_NE(line.find("nothing produced, nothing committed"), std::string::npos) << line;
  EXPECT_EQ(line.find("committed 0@"), std::string::npos) << line;
}

TEST(PrintableKeyTest, EscapesAndTruncates) {
  EXPECT_EQ(printable_key(std::nullopt), "(null)");
  EXPECT_EQ(printable_key(std::string("")), "\"\"");
  EXPECT_EQ(printable_key(std::string("a\"b\\c\n\xff", 7)), "\"a\\x22b\\x5cc\\x0a\\xff\"");
  EXPECT_EQ(printable_key(std::string(100, 'k'), 4), "\"kkkk...\"");
}

}  // namespace
}  // namespace cdp_relay::replay
