#pragma once
// Go-template-like --format for ls and inspect: "{{.Name}} {{.Driver.IPAddress}}" looks the dotted
// path up in a JSON object. Strings print bare, other values as compact JSON, "\t" and "\n" in the
// template become a tab and a newline (as shells pass them literally). Only placeholders are
// supported — no pipelines or functions — and an unknown field is an error naming it.
#include <string>

#include "common/json.hpp"

namespace berth::cli {

// Throws InvalidArgument for an unterminated placeholder or an unknown field.
std::string render_template(const std::string& format, const Json& value);

}  // namespace berth::cli
