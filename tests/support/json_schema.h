// JSON Schema (draft-07) validation for tests, on valijson 1.0 with the
// nlohmann adapter.
//
// valijson 1.0 notes, checked against /usr/include/valijson:
//  - `format` is always asserted, but only for date, time and date-time;
//    other formats (ipv4, ipv6, ...) are accepted unchecked. See
//    substitute_ip_formats() for what that means for oneOf.
//  - Relative cross-file `$ref`s ("vidora-event.schema.json") reach the
//    fetchDoc callback with the document part of the URI; we resolve it
//    against one directory, as schemas/README.md asks.
#pragma once

#ifndef VALIJSON_USE_EXCEPTIONS
#define VALIJSON_USE_EXCEPTIONS 1
#endif

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <memory>
#include <string>

#include "support/test_paths.h"

namespace cdp_relay::testing {

class JsonSchema {
 public:
  // Parses `document` as a draft-07 schema; relative `$ref`s to other files
  // are loaded from `directory` (absolute path).
  JsonSchema(const nlohmann::json& document, std::string directory)
      : directory_(std::move(directory)) {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(document);
    auto fetch = [this](const std::string& uri) -> const nlohmann::json* {
      const std::string file = directory_ + "/" + uri.substr(uri.find_last_of('/') + 1);
      auto* doc = new nlohmann::json(nlohmann::json::parse(read_file(file)));
      return doc;
    };
    auto free_doc = [](const nlohmann::json* doc) { delete doc; };
    parser.populateSchema(adapter, schema_, fetch, free_doc);
  }

  static std::unique_ptr<JsonSchema> from_file(const std::string& relative_path) {
    const std::string path = source_path(relative_path);
    const std::string directory = path.substr(0, path.find_last_of('/'));
    return std::make_unique<JsonSchema>(nlohmann::json::parse(read_file(path)), directory);
  }

  // Empty when `value` validates; otherwise every error with its location.
  std::string errors(const nlohmann::json& value) const {
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(value);
    if (validator.validate(schema_, target, &results)) return {};
    std::string text;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
      std::string where;
      for (const auto& part : error.context) where += part;
      text += where + ": " + error.description + "\n";
    }
    return text.empty() ? "invalid\n" : text;
  }
  bool valid(const nlohmann::json& value) const { return errors(value).empty(); }

 private:
  std::string directory_;
  valijson::Schema schema_;
};

// valijson 1.0 does not check the `ipv4`/`ipv6` formats, so a
// `oneOf: [{format: ipv4}, {format: ipv6}]` matches both branches and always
// fails. Replace each such format by a pattern with the same meaning, so the
// oneOf discriminates as the schema's authors intended (Python jsonschema with
// a FormatChecker behaves this way).
inline void substitute_ip_formats(nlohmann::json& schema) {
  static const char* kIpv4 =
      R"(^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$)";
  // Hex groups and colons with at most one "::", optionally ending in an IPv4.
  static const char* kIpv6 =
      R"(^(([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(([0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})?::(([0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})?|([0-9A-Fa-f]{1,4}:){6}(\d{1,3}\.){3}\d{1,3})$)";
  if (schema.is_object()) {
    auto format = schema.find("format");
    if (format != schema.end() && format->is_string()) {
      if (*format == "ipv4") {
        schema.erase("format");
        schema["pattern"] = kIpv4;
      } else if (*format == "ipv6") {
        schema.erase("format");
        schema["pattern"] = kIpv6;
      }
    }
    for (auto& [key, value] : schema.items()) substitute_ip_formats(value);
  } else if (schema.is_array()) {
    for (auto& value : schema) substitute_ip_formats(value);
  }
}

}  // namespace cdp_relay::testing
