#include "replay/replay_report.h"

#include <cstdio>

namespace cdp_relay::replay {

std::string printable_key(const std::optional<std::string>& key, size_t max_bytes) {
  if (!key) return "(null)";
  std::string out = "\"";
  for (size_t i = 0; i < key->size() && i < max_bytes; ++i) {
    const auto c = static_cast<unsigned char>((*key)[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    }
  }
  if (key->size() > max_bytes) out += "...";
  out += "\"";
  return out;
}

std::string summary_line(const ReplayReport& report) {
  std::string line = report.dry_run ? "dry run " : "replay ";
  line += report.from_topic + " -> " + report.to_topic + " (group " + report.group + ")";
  switch (report.outcome) {
    case Outcome::kCompleted: line += ":"; break;
    case Outcome::kFailed: line += " FAILED: " + report.error + ";"; break;
    case Outcome::kInterrupted: line += " INTERRUPTED;"; break;
  }
  line += " read " + std::to_string(report.read);
  if (report.dry_run) {
    line += ", would replay " + std::to_string(report.selected);
  } else {
    line += ", replayed " + std::to_string(report.replayed);
    if (report.replayed != report.selected) {
      line += " of " + std::to_string(report.selected) + " selected";
    }
  }
  line += ", filtered out " + std::to_string(report.filtered_out);
  line += ", before --since " + std::to_string(report.before_window);
  if (!report.selected_by_reason.empty()) {
    line += "; by reason:";
    for (const auto& [reason, count] : report.selected_by_reason) {
      line += " " + reason + "=" + std::to_string(count);
    }
  }
  size_t stopped = 0;
  for (const auto& partition : report.partitions) stopped += partition.stopped_at_until ? 1 : 0;
  if (stopped > 0) line += "; stopped at --until on " + std::to_string(stopped) + " partition(s)";
  if (report.max_events_reached) line += "; --max-events reached";
  if (report.dry_run) {
    if (!report.samples.empty()) {
      line += "; first keys:";
      for (const auto& sample : report.samples) {
        line += " " + printable_key(sample.key) + " (" + std::to_string(sample.partition) + "@" +
                std::to_string(sample.offset) + ")";
      }
    }
    line += "; nothing produced, nothing committed";
    return line;
  }
  std::string committed;
  for (const auto& partition : report.partitions) {
    if (!partition.committed) continue;
    committed += " " + std::to_string(partition.partition) + "@" +
                 std::to_string(*partition.committed);
  }
  line += committed.empty() ? "; nothing to commit" : "; committed" + committed;
  return line;
}

}  // namespace cdp_relay::replay
