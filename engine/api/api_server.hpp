#pragma once
// berthd's Docker Engine API: every route, the /vX.Y version prefix, the headers docker clients
// expect on each response, and the listeners named by -H.
#include <memory>
#include <vector>

#include "common/http_server.hpp"
#include "engine/api/system_routes.hpp"

namespace berth::engine::api {

constexpr int kMinApiVersion = 124;
constexpr int kMaxApiVersion = 150;

// Strips "/v1.50" from the path and records the version; answers 400 for versions out of range.
bool version_filter(http::Request& req, http::Response& res);

std::unique_ptr<http::Server> make_api_server(const SystemContext& context);

// Opens every -H listener of the configuration on the server.
void listen_all(http::Server& server, const DaemonConfig& config);

}  // namespace berth::engine::api
