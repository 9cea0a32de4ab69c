#include "engine/api/volume_routes.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/http_server.hpp"

using nlohmann::json;

namespace berth::engine::api {

void add_volume_routes(http::Router& r) {
  r.add("GET", "/volumes", [](http::Request&, http::Response& res) {
    res.send_json(200, {{"Volumes", json::array()}, {"Warnings", json::array()}});
  });
  r.add("POST", "/volumes/create", [](http::Request&, http::Response&) {
    throw InvalidArgument(
        "named volumes are not supported yet: mount a host directory instead (-v /host/dir:/dir)");
  });
  r.add("GET", "/volumes/{name}", [](http::Request& req, http::Response&) {
    throw NotFound("get " + req.param("name") + ": no such volume");
  });
  r.add("DELETE", "/volumes/{name}", [](http::Request& req, http::Response&) {
    throw NotFound("get " + req.param("name") + ": no such volume");
  });
  r.add("POST", "/volumes/prune", [](http::Request&, http::Response& res) {
    res.send_json(200, {{"VolumesDeleted", json::array()}, {"SpaceReclaimed", 0}});
  });
  // `docker system prune` and `docker builder prune` ask; there is no build cache to free.
  r.add("POST", "/build/prune", [](http::Request&, http::Response& res) {
    res.send_json(200, {{"CachesDeleted", json::array()}, {"SpaceReclaimed", 0}});
  });
}

}  // namespace berth::engine::api
