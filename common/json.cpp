#include "common/json.hpp"

#include <strings.h>

#include <limits>

#include "common/error.hpp"

namespace berth {
namespace {

[[noreturn]] void wrong_type(std::string_view key, const char* expected, const Json& value) {
  throw InvalidArgument("field \"" + std::string(key) + "\" must be " + expected + ", not " +
                        value.type_name());
}

}  // namespace

Json parse_json_object(std::string_view body, std::string_view what) {
  Json parsed;
  try {
    parsed = Json::parse(body);
  } catch (const Json::parse_error& e) {
    // nlohmann prefixes "[json.exception.parse_error.101] "; users need only the detail after it.
    std::string detail = e.what();
    if (auto end = detail.find("] "); detail.starts_with("[json.exception") && end != detail.npos) {
      detail.erase(0, end + 2);
    }
    throw InvalidArgument("invalid JSON in " + std::string(what) + ": " + detail);
  }
  if (!parsed.is_object()) {
    throw InvalidArgument(std::string(what) + " must be a JSON object, not " + parsed.type_name());
  }
  return parsed;
}

const Json* find_field(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const Json* found = nullptr;
  if (auto it = object.find(key); it != object.end()) {
    found = &*it;
  } else {
    for (const auto& [name, value] : object.items()) {
      if (name.size() == key.size() && ::strncasecmp(name.data(), key.data(), key.size()) == 0) {
        found = &value;
        break;
      }
    }
  }
  return found != nullptr && !found->is_null() ? found : nullptr;
}

std::string get_string(const Json& object, std::string_view key, std::string_view fallback) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return std::string(fallback);
  if (!value->is_string()) wrong_type(key, "a string", *value);
  return value->get<std::string>();
}

bool get_bool(const Json& object, std::string_view key, bool fallback) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) wrong_type(key, "a boolean", *value);
  return value->get<bool>();
}

std::int64_t get_int64(const Json& object, std::string_view key, std::int64_t fallback) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return fallback;
  if (value->is_number_unsigned()) {
    auto number = value->get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw InvalidArgument("field \"" + std::string(key) +
                            "\" is out of range for a 64-bit integer");
    }
    return static_cast<std::int64_t>(number);
  }
  if (!value->is_number_integer()) wrong_type(key, "an integer", *value);
  return value->get<std::int64_t>();
}

std::vector<std::string> get_string_array(const Json& object, std::string_view key) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return {};
  if (value->is_string()) return {value->get<std::string>()};
  if (!value->is_array()) wrong_type(key, "a string or an array of strings", *value);
  std::vector<std::string> items;
  for (const auto& item : *value) {
    if (!item.is_string()) wrong_type(key, "a string or an array of strings", item);
    items.push_back(item.get<std::string>());
  }
  return items;
}

std::map<std::string, std::string> get_string_map(const Json& object, std::string_view key) {
  const Json* value = find_field(object, key);
  if (value == nullptr) return {};
  if (!value->is_object()) wrong_type(key, "an object of strings", *value);
  std::map<std::string, std::string> items;
  for (const auto& [name, item] : value->items()) {
    if (!item.is_string()) {
      throw InvalidArgument("field \"" + std::string(key) +
                            "\" must be an object of strings, but \"" + name + "\" is " +
                            item.type_name());
    }
    items.emplace(name, item.get<std::string>());
  }
  return items;
}

std::map<std::string, std::vector<std::string>> parse_docker_filters(const std::string& text) {
  std::map<std::string, std::vector<std::string>> args;
  if (text.empty()) return args;
  const auto object = parse_json_object(text, "filters");
  for (const auto& [key, value] : object.items()) {
    auto& values = args[key];
    if (value.is_object()) {
      for (const auto& [v, enabled] : value.items())
        if (!enabled.is_boolean() || enabled.get<bool>()) values.push_back(v);
    } else if (value.is_array()) {
      for (const auto& v : value)
        if (v.is_string()) values.push_back(v.get<std::string>());
    } else {
      throw InvalidArgument("invalid filter '" + key + "': expected an object or a list");
    }
  }
  return args;
}

}  // namespace berth
