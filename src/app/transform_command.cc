#include "app/transform_command.h"

#include "destinations/spideo/spideo_event_encoder.h"
#include "destinations/vidora/vidora_event_encoder.h"
#include "route/transform_stage.h"
#include "util/json_writer.h"

namespace cdp_relay::app {
namespace {

// The destination's encoder with its routing rules, exactly as `run` wires it.
route::RoutedEncoder make_destination(const RelayConfig& config, const std::string& destination) {
  if (destination == "spideo") {
    return {std::make_unique<destinations::spideo::SpideoEventEncoder>(config.spideo),
            config.spideo.routing};
  }
  return {std::make_unique<destinations::vidora::VidoraEventEncoder>(config.vidora),
          config.vidora.routing};
}

void append_error_line(std::string& out, const decode::Rejection& rejection, size_t line) {
  out.append("{\"error\":");
  util::JsonObjectWriter error(out);
  error.string_member("reason", to_string(rejection.error.reason));
  error.string_member("stage", to_string(rejection.error.stage));
  error.string_member("message", rejection.error.message);
  error.int_member("line", static_cast<int64_t>(line));
  if (!rejection.whole_message) error.int_member("index", rejection.index);
  error.close();
  out.append("}\n");
}

// Why an event of `line` did not reach the destination, or reached it
// without some of its values: one line per event, so the dry run explains
// every input line.
void append_note_line(std::string& out, const route::EventNote& note, const CanonicalEvent& event,
                      std::string_view destination, size_t line) {
  std::string_view kind = "warning";
  std::string_view reason = "values_dropped";
  if (note.decision != RouteDecision::kRouted) {
    kind = is_filter(note.decision) ? "filtered" : "skipped";
    reason = to_string(note.decision);
  }
  out.append("{\"").append(kind).append("\":");
  util::JsonObjectWriter writer(out);
  writer.string_member("destination", destination);
  writer.string_member("reason", reason);
  if (note.dropped_values > 0) writer.int_member("values", note.dropped_values);
  writer.string_member("kind", to_string(event.kind));
  if (!event.name.empty()) writer.string_member("name", event.name);
  writer.int_member("line", static_cast<int64_t>(line));
  writer.int_member("index", event.origin.index);
  writer.close();
  out.append("}\n");
}

}  // namespace

TransformCounts run_transform(const RelayConfig& config, const TransformOptions& options,
                              std::istream& in, std::FILE* out, std::FILE* err) {
  std::vector<route::RoutedEncoder> destinations;
  destinations.push_back(make_destination(config, options.destination));
  route::TransformStage stage(config.limits, std::move(destinations));
  route::TransformResult result;
  TransformCounts counts;

  std::string line;
  std::string out_buffer;
  std::string err_buffer;
  while (std::getline(in, line)) {
    ++counts.lines;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank line
    Origin origin;
    origin.topic = options.topic;
    origin.partition = 0;
    origin.offset = static_cast<int64_t>(counts.lines - 1);
    stage.process(line, options.format, origin, result);
    const route::DestinationOutput& output = result.outputs.front();
    for (const auto& slice : output.events) {
      out_buffer.append(output.bytes(slice));
      out_buffer.push_back('\n');
    }
    for (const auto& rejection : result.decoded.rejections) {
      append_error_line(err_buffer, rejection, counts.lines);
    }
    for (const auto& note : output.notes) {
      append_note_line(err_buffer, note, result.decoded.events[note.event_index],
                       stage.encoder(0).destination(), counts.lines);
    }
    counts.events += output.events.size();
    counts.rejected += result.decoded.rejections.size();
    // Flush in large writes; stderr is flushed with stdout so that interleaved
    // output stays roughly in line order.
    if (out_buffer.size() > (1 << 16) || !err_buffer.empty()) {
      std::fwrite(out_buffer.data(), 1, out_buffer.size(), out);
      std::fflush(out);
      out_buffer.clear();
      std::fwrite(err_buffer.data(), 1, err_buffer.size(), err);
      err_buffer.clear();
    }
  }
  std::fwrite(out_buffer.data(), 1, out_buffer.size(), out);
  std::fflush(out);
  return counts;
}

}  // namespace cdp_relay::app
