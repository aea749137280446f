// How a destination's HTTP client reaches the destination: TLS trust, the
// optional client certificate, and an egress proxy. One set per destination,
// read by app/config_loader.cc (the `tls_verify`, `tls` and `proxy` keys of
// destinations.<name>) and applied by CurlMultiClient. Field names are the
// YAML keys.
#pragma once

#include <string>

#include "util/config_errors.h"

namespace cdp_relay::delivery {

// destinations.<name>.tls
struct TlsSettings {
  // Verify the server's certificate chain and host name. Default true;
  // turning it off is logged as a warning at start. Also read from the older
  // spelling destinations.<name>.tls_verify.
  bool verify = true;
  // PEM file of CA certificates trusted IN ADDITION to the system store
  // (a private CA of the endpoint or of a TLS-inspecting egress proxy).
  // Default empty: the system store only.
  std::string ca_file;
  // PEM client certificate for mutual TLS. Default empty: none.
  std::string cert_file;
  // PEM private key of cert_file. Default empty: the key is read from
  // cert_file. Requires cert_file.
  std::string key_file;
  // Passphrase of an encrypted key_file. Secret: must be an ${ENV} reference,
  // never logged. Default empty.
  std::string key_password;

  // Paths must name readable PEM files; the errors name the key and the
  // path, never the file's contents.
  void validate(const std::string& path, util::ConfigErrors& errors) const;
};

// destinations.<name>.proxy: an http://, https://, socks5:// or socks5h://
// URL (credentials allowed, user:password@host; never logged). Empty: libcurl's
// own environment handling (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
void validate_proxy(const std::string& proxy, const std::string& path,
                    util::ConfigErrors& errors);

}  // namespace cdp_relay::delivery
