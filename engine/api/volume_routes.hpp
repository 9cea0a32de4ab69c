#pragma once
#include "common/http_router.hpp"

namespace berth::engine::api {

// /volumes, and /build/prune: berth has no named volumes and no build cache yet, so listings are
// truthfully empty, prunes free nothing, and creating a volume gets a clear "not supported yet"
// (never a silent success) until they land.
void add_volume_routes(http::Router& router);

}  // namespace berth::engine::api
