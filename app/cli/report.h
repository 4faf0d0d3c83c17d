#pragma once
// What a command measured, built once as one JSON object: printed as text, and written as
// JSON with --json, from the same figures.
#include <nlohmann/json.hpp>
#include <string>

namespace oddigit::cli {

using Report = nlohmann::ordered_json;

// Prints the report on standard output, in its order: a value as "key  value" (fractions to
// four places), a list of numbers on one line, a list of objects as a Markdown table, an
// object as an indented block of its values.
void print_report(const Report& report);

// Writes the report as JSON at path, atomically; nothing when path is empty. Throws Error
// when the file cannot be written.
void save_report(const Report& report, const std::string& path);

}  // namespace oddigit::cli
