#pragma once
#include "common/http_router.hpp"

namespace berth::engine {
class ContainerManager;
class ContainerFilesystem;
}  // namespace berth::engine

namespace berth::engine::api {

// What is inside containers: top, stats, archive (cp), export, changes, update, commit.
void add_container_data_routes(http::Router& router, ContainerManager& containers,
                               ContainerFilesystem& filesystem);

}  // namespace berth::engine::api
