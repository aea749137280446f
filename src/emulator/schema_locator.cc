#include "emulator/schema_locator.h"

#include <filesystem>
#include <system_error>

namespace cdp_relay::emulator {

std::vector<std::string> schema_dir_candidates() {
  namespace fs = std::filesystem;
  std::vector<std::string> candidates;
  std::error_code error;
  const fs::path binary = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path bin_dir = binary.parent_path();
    candidates.push_back((bin_dir / ".." / "share" / "cdp-relay" / "schemas").lexically_normal());
    candidates.push_back((bin_dir / ".." / "schemas").lexically_normal());
  }
  candidates.push_back("schemas");
  candidates.push_back("/usr/share/cdp-relay/schemas");
  return candidates;
}

std::string find_schema_dir() {
  std::error_code error;
  for (const auto& dir : schema_dir_candidates()) {
    if (std::filesystem::is_regular_file(dir + "/vidora-request.schema.json", error)) return dir;
  }
  return "";
}

}  // namespace cdp_relay::emulator
