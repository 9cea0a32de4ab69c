#pragma once
// The subset of Go's text/template that docker users put in --format, applied to JSON as docker
// applies it to decoded JSON (inspect) or to its row contexts (ps, images): {{.A.B}}, {{.}},
// {{json .A}}, {{.A | json}}, {{join .A ","}}, {{upper .A}}, {{lower .A}}, {{index .A "key"}},
// {{truncate .A 5}}. Values print as Go's fmt prints them: strings bare, numbers as written (docker
// executes inspect templates on typed structs, so int64 stays 67108864), arrays [a b], objects
// map[k:v], null <nil>. "\t" and "\n" written literally in the format become a tab and a newline,
// as docker's formatter does. Anything else (range, if, …) is refused with a message naming it.
#include <string>

#include "common/json.hpp"

namespace berth::cli::client {

struct TemplateOptions {
  // A missing field: "<no value>" (inspect: Go maps) or an error (ps/images rows: Go structs).
  bool strict_fields = false;
};

// Throws InvalidArgument ("template: …") for unsupported or malformed actions and, when strict, an
// unknown field.
std::string render_go_template(const std::string& format, const Json& value,
                               TemplateOptions options = {});

// Go's %v of a value decoded from JSON.
std::string go_value_text(const Json& value);

}  // namespace berth::cli::client
