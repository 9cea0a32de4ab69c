#pragma once
// Reading Docker API request bodies with nlohmann::json. Field lookups follow Go's encoding/json,
// which Docker uses: an exact key match wins, otherwise keys match case-insensitively; null or a
// missing key means "not set"; a value of the wrong type is a 400 naming the field.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

using Json = nlohmann::json;

// Parses `body`, which must be a JSON object. `what` names it for errors: "invalid JSON in request
// body: <parser detail>", "request body must be a JSON object, not array". Throws InvalidArgument.
Json parse_json_object(std::string_view body, std::string_view what);

// The member for `key` (exact, then case-insensitive), or nullptr when missing or null.
const Json* find_field(const Json& object, std::string_view key);

std::string get_string(const Json& object, std::string_view key, std::string_view fallback = "");
bool get_bool(const Json& object, std::string_view key, bool fallback = false);
// Integers only: 1.5 and 1e3 are rejected, as Go rejects them for int64 fields.
std::int64_t get_int64(const Json& object, std::string_view key, std::int64_t fallback = 0);
// Docker's StrSlice (Cmd, Entrypoint, Shell): either a string (one element) or an array of strings.
std::vector<std::string> get_string_array(const Json& object, std::string_view key);
// A map of string values, such as Labels or Options.
std::map<std::string, std::string> get_string_map(const Json& object, std::string_view key);

// Docker's `filters` query parameter: {"key":{"value":true}} or the older {"key":["value"]}.
// Empty text gives no filters; anything else is InvalidArgument naming the key.
std::map<std::string, std::vector<std::string>> parse_docker_filters(const std::string& text);

}  // namespace berth
