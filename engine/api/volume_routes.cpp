#include "engine/api/volume_routes.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/http_server.hpp"
#include "common/json.hpp"

using nlohmann::json;

namespace berth::engine::api {

namespace {

// Named volumes are not implemented yet: there are none to list, inspect, remove or prune, but the
// filters are checked as dockerd checks them, so a bad one fails the same way.
void check_filters(http::Request& req, const std::vector<std::string>& accepted) {
  const auto text = req.query("filters");
  if (!text || text->empty()) return;
  const json filters = parse_json_object(*text, "filters");
  for (const auto& [name, _] : filters.items())
    if (std::find(accepted.begin(), accepted.end(), name) == accepted.end())
      throw InvalidArgument("Invalid filter '" + name + "'");
}

}  // namespace

void add_volume_routes(http::Router& r) {
  r.add("GET", "/volumes", [](http::Request& req, http::Response& res) {
    check_filters(req, {"dangling", "driver", "label", "name"});
    res.send_json(200, {{"Volumes", json::array()}, {"Warnings", nullptr}});
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
  r.add("POST", "/volumes/prune", [](http::Request& req, http::Response& res) {
    check_filters(req, {"label", "label!", "all"});
    res.send_json(200, {{"VolumesDeleted", json::array()}, {"SpaceReclaimed", 0}});
  });
  // `docker system prune` and `docker builder prune` ask; there is no build cache to free.
  r.add("POST", "/build/prune", [](http::Request&, http::Response& res) {
    res.send_json(200, {{"CachesDeleted", json::array()}, {"SpaceReclaimed", 0}});
  });
}

}  // namespace berth::engine::api
