#pragma once
// /images/...: list, inspect, history, tag, remove, load, save, import (and the pull answer while
// berth has no registry client), prune. Paths without the /vX.Y prefix, which the server strips.
#include <functional>
#include <string>
#include <vector>

#include "common/http_router.hpp"
#include "engine/images/image_store.hpp"

namespace berth::engine {
class ImageStore;
class EventBus;
}  // namespace berth::engine

namespace berth::engine::api {

// `image_in_use(id)`: a container (running or not) uses the image. `containers_using(id)`: those
// containers and whether they run, for docker's conflict rules and messages.
void add_image_routes(http::Router& router, ImageStore& images, EventBus& events,
                      std::function<bool(const std::string& image_id)> image_in_use,
                      ImageUsersFn containers_using);

}  // namespace berth::engine::api
