#include "support/test_paths.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace cdp_relay::testing {

std::string source_path(const std::string& relative) {
  return std::string(CDP_RELAY_SOURCE_DIR) + "/" + relative;
}

std::string relay_binary() { return CDP_RELAY_BINARY; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> read_lines(const std::string& relative) {
  std::istringstream text(read_file(source_path(relative)));
  std::vector<std::string> lines;
  for (std::string line; std::getline(text, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace cdp_relay::testing
