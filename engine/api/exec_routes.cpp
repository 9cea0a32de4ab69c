#include "engine/api/exec_routes.hpp"

#include <nlohmann/json.hpp>

#include "common/http_server.hpp"
#include "engine/api/api_common.hpp"
#include "engine/containers/exec_manager.hpp"

namespace berth::engine::api {

void add_exec_routes(http::Router& r, ExecManager& execs) {
  r.add("POST", "/containers/{id*}/exec", [&](http::Request& req, http::Response& res) {
    const auto id = execs.create(req.param("id"), req.read_json());
    res.send_json(201, {{"Id", id}});
  });

  r.add("POST", "/exec/{id}/start", [&](http::Request& req, http::Response& res) {
    const auto body = req.read_json();
    const std::string id = req.param("id");
    const bool detach = body.value("Detach", false);
    const bool tty = execs.tty(id);
    if (detach) {
      execs.start(id, true, nullptr);
      res.send(200, "", "application/json");
      return;
    }
    execs.inspect(id);  // 404 before the connection is handed over
    const std::string type = tty || api_version(req) < 142
                                 ? "application/vnd.docker.raw-stream"
                                 : "application/vnd.docker.multiplexed-stream";
    Stream& client = res.hijack(type);
    execs.start(id, false, &client);
  });

  r.add("POST", "/exec/{id}/resize", [&](http::Request& req, http::Response& res) {
    const auto h = query_int(req, "h"), w = query_int(req, "w");
    if (!h || !w || *h < 0 || *w < 0 || *h > 65535 || *w > 65535)
      throw InvalidArgument("resize needs h and w between 0 and 65535");
    execs.resize(req.param("id"), static_cast<int>(*h), static_cast<int>(*w));
    res.send(200, "", "text/plain");
  });

  r.add("GET", "/exec/{id}/json", [&](http::Request& req, http::Response& res) {
    res.send_json(200, execs.inspect(req.param("id")));
  });
}

}  // namespace berth::engine::api
