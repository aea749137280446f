// Paths of the source tree and the built binary, for tests that read
// fixtures and schemas or run `cdp-relay` as a child process.
#pragma once

#include <string>
#include <vector>

namespace cdp_relay::testing {

// Absolute path of a file under the repository root, e.g. "tests/fixtures/...".
std::string source_path(const std::string& relative);
// The cdp-relay binary built alongside the tests.
std::string relay_binary();
// Reads a whole file; fails the calling test (ADD_FAILURE) if unreadable.
std::string read_file(const std::string& path);
// Non-empty lines of a JSONL file under the repository root.
std::vector<std::string> read_lines(const std::string& relative);

}  // namespace cdp_relay::testing
