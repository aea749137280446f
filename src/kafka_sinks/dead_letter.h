// The dead-letter record's headers as README "Dead-letter topic" documents
// them (schemas/dlq-headers.schema.json). The record's value and key are the
// dead letter's own (pipeline/dead_letter.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "pipeline/dead_letter.h"
#include "pipeline/sink.h"

namespace cdp_relay::kafka_sinks {

using pipeline::DeadLetter;
using pipeline::Headers;

// The cdp.* headers of a dead letter. The message is trimmed (on a UTF-8
// boundary) and was built without secrets (see cdp_relay::Error).
Headers dead_letter_headers(const DeadLetter& letter);

}  // namespace cdp_relay::kafka_sinks
