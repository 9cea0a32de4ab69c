#pragma once
// Small helpers shared by the API route files: query parsing the Docker way.
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/http_server.hpp"

namespace berth::engine::api {

// An integer query parameter; InvalidArgument naming it when malformed.
std::optional<int64_t> query_int(const http::Request& req, const std::string& key);

// The negotiated API version of the request as major*100+minor (1.50 → 150).
int api_version(const http::Request& req);

}  // namespace berth::engine::api
