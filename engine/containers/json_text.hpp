#pragma once
// Writing JSON text straight into a string, for answers built often enough that an nlohmann tree
// per answer shows (`docker ps` rows). The output matches nlohmann's dump() byte for byte, so
// clients and tests see the same text either way.
#include <cstdint>
#include <string>
#include <string_view>

namespace berth::engine::json_text {

// `text` as a JSON string literal, escaped as nlohmann::json::dump() escapes it (UTF-8 kept as is).
void append_string(std::string& out, std::string_view text);
void append_int(std::string& out, int64_t value);
// `"key":` — keys written by this file's callers are plain ASCII and need no escaping.
inline void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

}  // namespace berth::engine::json_text
