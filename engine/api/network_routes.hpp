#pragma once
#include "common/http_router.hpp"

namespace berth::engine::api {

// /networks: the three built-in networks (bridge, host, none). User-defined networks are answered
// with a clear "not supported yet" until they land.
void add_network_routes(http::Router& router, const std::string& bridge_subnet,
                        const std::string& bridge_gateway);

}  // namespace berth::engine::api
