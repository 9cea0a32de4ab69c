#pragma once
#include "common/http_router.hpp"

namespace berth::engine {
class ExecManager;
}

namespace berth::engine::api {

// POST /containers/{id}/exec, /exec/{id}/start|resize|json.
void add_exec_routes(http::Router& router, ExecManager& execs);

}  // namespace berth::engine::api
