#pragma once
#include "common/http_router.hpp"

namespace berth::engine {
class ContainerManager;
class ImageStore;
}  // namespace berth::engine

namespace berth::engine::api {

// /containers/…: translates requests into ContainerManager calls and its answers into Docker's
// JSON.
void add_container_routes(http::Router& router, ContainerManager& containers, ImageStore& images);

}  // namespace berth::engine::api
