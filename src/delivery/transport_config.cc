#include "delivery/transport_config.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace cdp_relay::delivery {
namespace {

// Checks that `file` is a readable regular file holding a PEM block. Only the
// key and the path appear in errors: a key file's bytes are secret.
void check_pem_file(const std::string& file, const std::string& key, util::ConfigErrors& errors) {
  if (file.empty()) return;
  std::error_code ignored;
  if (!std::filesystem::exists(file, ignored)) {
    errors.add(key, "file " + file + " does not exist");
    return;
  }
  if (!std::filesystem::is_regular_file(file, ignored)) {
    errors.add(key, file + " is not a regular file");
    return;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) {
    errors.add(key, "cannot read " + file + " (permissions?)");
    return;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find("-----BEGIN ") == std::string::npos) {
    errors.add(key, file + " holds no PEM block (-----BEGIN ...)");
  }
}

}  // namespace

void TlsSettings::validate(const std::string& path, util::ConfigErrors& errors) const {
  check_pem_file(ca_file, path + ".ca_file", errors);
  check_pem_file(cert_file, path + ".cert_file", errors);
  check_pem_file(key_file, path + ".key_file", errors);
  errors.check(key_file.empty() || !cert_file.empty(), path + ".key_file",
               "requires cert_file");
  errors.check(key_password.empty() || !cert_file.empty(), path + ".key_password",
               "requires cert_file");
}

void validate_proxy(const std::string& proxy, const std::string& path,
                    util::ConfigErrors& errors) {
  if (proxy.empty()) return;
  for (const char* scheme : {"http://", "https://", "socks5://", "socks5h://"}) {
    if (proxy.starts_with(scheme)) return;
  }
  // The value may carry credentials: the error does not quote it.
  errors.add(path, "must start with http://, https://, socks5:// or socks5h://");
}

}  // namespace cdp_relay::delivery
