// valijson-backed schema checks for the emulator (see vidora_validator.h).
//
// valijson reports unusable schemas by calling throwRuntimeError(), which
// aborts the process unless VALIJSON_USE_EXCEPTIONS is set; the emulator must
// report a bad schema directory as an error, so this file (the only user of
// valijson in the core library) turns exceptions on.
#define VALIJSON_USE_EXCEPTIONS 1

#include "emulator/vidora_validator.h"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace cdp_relay::emulator {
namespace {

constexpr const char* kRequestSchema = "vidora-request.schema.json";
constexpr const char* kEventSchema = "vidora-event.schema.json";
constexpr size_t kMaxDetails = 20;

std::optional<nlohmann::json> read_json_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, false);
  if (document.is_discarded()) {
    error = path + ": invalid JSON";
    return std::nullopt;
  }
  return document;
}

// Parses `document` into `schema`, resolving relative $refs ("x.schema.json")
// to files of `dir`. Only the file name of a $ref is used, so a `$id` base
// never sends the parser outside the schema directory.
bool parse_schema(const nlohmann::json& document, const std::string& dir, valijson::Schema& schema,
                  std::string& error) {
  std::string fetch_error;
  auto fetch = [&dir, &fetch_error](const std::string& uri) -> const nlohmann::json* {
    const std::string name = uri.substr(uri.find_last_of('/') + 1);
    auto loaded = read_json_file(dir + "/" + name, fetch_error);
    if (!loaded) return nullptr;
    return new nlohmann::json(std::move(*loaded));
  };
  auto free_doc = [](const nlohmann::json* doc) { delete doc; };
  try {
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    parser.populateSchema(adapter, schema, fetch, free_doc);
  } catch (const std::exception& e) {
    error = fetch_error.empty() ? std::string(e.what()) : fetch_error;
    return false;
  }
  return true;
}

std::string describe(const valijson::ValidationResults::Error& error) {
  std::string path;
  for (const auto& part : error.context) path += part;
  return path + ": " + error.description;
}

}  // namespace

struct VidoraValidator::Schemas {
  valijson::Schema request;
  valijson::Schema event;
};

VidoraValidator::VidoraValidator(std::unique_ptr<Schemas> schemas) : schemas_(std::move(schemas)) {}
VidoraValidator::~VidoraValidator() = default;

std::unique_ptr<VidoraValidator> VidoraValidator::load(const std::string& schema_dir,
                                                       std::string& error) {
  auto request_doc = read_json_file(schema_dir + "/" + kRequestSchema, error);
  if (!request_doc) return nullptr;
  auto event_doc = read_json_file(schema_dir + "/" + kEventSchema, error);
  if (!event_doc) return nullptr;
  auto schemas = std::make_unique<Schemas>();
  if (!parse_schema(*request_doc, schema_dir, schemas->request, error)) {
    error = std::string(kRequestSchema) + ": " + error;
    return nullptr;
  }
  if (!parse_schema(*event_doc, schema_dir, schemas->event, error)) {
    error = std::string(kEventSchema) + ": " + error;
    return nullptr;
  }
  return std::unique_ptr<VidoraValidator>(new VidoraValidator(std::move(schemas)));
}

ValidationVerdict VidoraValidator::validate(const nlohmann::json& body) const {
  ValidationVerdict verdict;
  // One Validator per server thread: it caches the compiled `pattern`
  // regexes, which would otherwise be rebuilt for every request.
  thread_local valijson::Validator validator;
  valijson::adapters::NlohmannJsonAdapter body_adapter(body);
  // Fast path: without a results object, valijson stops at the first failure.
  if (validator.validate(schemas_->request, body_adapter, nullptr)) return verdict;

  verdict.ok = false;
  verdict.error = "request does not match vidora-request.schema.json";
  valijson::ValidationResults results;
  validator.validate(schemas_->request, body_adapter, &results);
  valijson::ValidationResults::Error detail;
  while (verdict.details.size() < kMaxDetails && results.popError(detail)) {
    verdict.details.push_back(describe(detail));
  }
  // Name the events at fault. A request-level problem (no `data`, an empty or
  // oversized array, an extra top-level key) names none.
  auto data = body.is_object() ? body.find("data") : body.end();
  if (body.is_object() && data != body.end() && data->is_array()) {
    for (size_t i = 0; i < data->size(); ++i) {
      valijson::adapters::NlohmannJsonAdapter event_adapter((*data)[i]);
      if (!validator.validate(schemas_->event, event_adapter, nullptr)) {
        verdict.invalid_indexes.push_back(i);
      }
    }
  }
  return verdict;
}

}  // namespace cdp_relay::emulator
