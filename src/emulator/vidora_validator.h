// Validation of Vidora request bodies against schemas/vidora-request.schema.json
// and schemas/vidora-event.schema.json (README "Vidora wire format: assumptions").
//
// The schemas are parsed once, at load(); validate() is const and safe to call
// from many threads at once (each call builds its own valijson Validator, and
// the parsed schemas are only read).
//
// Why the event schema is loaded twice (once through the request schema's
// relative $ref, once on its own): the request schema is the authority on
// whether a body is acceptable, and the event schema alone tells which `data`
// indexes are at fault, so the 400 can name them (invalid_indexes), which is
// what the relay's bisection needs to converge fast.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace cdp_relay::emulator {

struct ValidationVerdict {
  bool ok = true;
  std::string error;                   // summary, when !ok
  std::vector<size_t> invalid_indexes; // events of `data` that violate the event schema
  std::vector<std::string> details;    // first few violations as "path: description"
};

class VidoraValidator {
 public:
  // Reads vidora-request.schema.json and vidora-event.schema.json from
  // `schema_dir`; the request schema's relative $ref is resolved from there
  // too. Returns nullptr and sets `error` when a file is missing or invalid.
  static std::unique_ptr<VidoraValidator> load(const std::string& schema_dir, std::string& error);

  ~VidoraValidator();
  VidoraValidator(const VidoraValidator&) = delete;
  VidoraValidator& operator=(const VidoraValidator&) = delete;

  ValidationVerdict validate(const nlohmann::json& body) const;

 private:
  struct Schemas;
  explicit VidoraValidator(std::unique_ptr<Schemas> schemas);
  std::unique_ptr<Schemas> schemas_;
};

}  // namespace cdp_relay::emulator
