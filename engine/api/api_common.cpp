#include "engine/api/api_common.hpp"

#include <charconv>

namespace berth::engine::api {

std::optional<int64_t> query_int(const http::Request& req, const std::string& key) {
  auto text = req.query(key);
  if (!text || text->empty()) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size())
    throw InvalidArgument("invalid value for " + key + ": " + *text);
  return value;
}

int api_version(const http::Request& req) {
  const std::string v = req.attribute("api-version");
  if (v.empty()) return 150;
  const auto dot = v.find('.');
  return std::stoi(v.substr(0, dot)) * 100 + std::stoi(v.substr(dot + 1));
}

}  // namespace berth::engine::api
