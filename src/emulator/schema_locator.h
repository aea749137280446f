// Where the emulator finds schemas/ when no directory is given: `cdp-relay
// emulate` and `cdp-relay demo` run from a build tree, an install prefix or a
// container, and each keeps the schemas somewhere else.
#pragma once

#include <string>
#include <vector>

namespace cdp_relay::emulator {

// The candidate directories, in the order they are tried:
//   <dir of the running binary>/../share/cdp-relay/schemas   (install prefix)
//   <dir of the running binary>/../schemas                   (build dir inside the repo)
//   ./schemas                                                (run from the repo root)
//   /usr/share/cdp-relay/schemas                             (Debian / container layout)
std::vector<std::string> schema_dir_candidates();

// The first candidate that holds vidora-request.schema.json, or "" if none does.
std::string find_schema_dir();

}  // namespace cdp_relay::emulator
