// A handle on one output of one consumed message: what a sink reports back
// when that output is resolved, so the pipeline can move its watermark.
//
// Sinks treat it as opaque; only the pipeline loop resolves it (on its own
// thread, see pipeline/offset_watermark.h). The shared pointer keeps a revoked
// partition's tracker alive until its last late completion arrives, which is
// then ignored rather than stored.
#pragma once

#include <cstdint>
#include <memory>

namespace cdp_relay {
namespace pipeline {
class PartitionTracker;
}

struct OutputRef {
  std::shared_ptr<pipeline::PartitionTracker> partition;
  int64_t offset = -1;
  uint32_t index = 0;  // the event's position in its message (batch item)
};

}  // namespace cdp_relay
