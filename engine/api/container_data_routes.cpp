#include "engine/api/container_data_routes.hpp"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/http_server.hpp"
#include "engine/api/api_common.hpp"
#include "engine/containers/container_fs.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/container_metrics.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace berth::engine::api {

namespace {

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string required_path(const http::Request& req) {
  auto path = req.query("path");
  if (!path || path->empty()) throw InvalidArgument("missing required parameter: path");
  return *path;
}

}  // namespace

void add_container_data_routes(http::Router& r, ContainerManager& containers,
                               ContainerFilesystem& fsys) {
  r.add("GET", "/containers/{id*}/top", [&](http::Request& req, http::Response& res) {
    const json top = container_top(containers, req.param("id"), req.query("ps_args").value_or(""));
    containers.record_event(req.param("id"), "top");
    res.send_json(200, top);
  });

  r.add("GET", "/containers/{id*}/stats", [&](http::Request& req, http::Response& res) {
    const std::string id = containers.resolve(req.param("id"));
    const bool stream = req.query_bool("stream", true);
    const bool one_shot = req.query_bool("one-shot");
    if (!stream) {
      json sample = container_stats(containers, id, nullptr);
      if (!one_shot && containers.get(id).state.running()) {
        // Docker's non-streamed answer carries a previous sample, so CPU % can be computed.
        std::this_thread::sleep_for(1s);
        sample = container_stats(containers, id, sample);
      }
      res.send_json(200, sample);
      return;
    }
    res.start_stream(200, "application/json");
    json previous = nullptr;
    for (;;) {
      json sample = container_stats(containers, id, previous);
      res.write(sample.dump() + "\n");
      if (!containers.get(id).state.running()) break;
      previous = std::move(sample);
      for (int i = 0; i < 10 && !res.cancelled(); ++i) std::this_thread::sleep_for(100ms);
      if (res.cancelled()) return;
    }
    res.finish();
  });

  auto stat_header = [](const json& st) { return base64(st.dump()); };
  r.add("HEAD", "/containers/{id*}/archive",
        [&, stat_header](http::Request& req, http::Response& res) {
          res.set_header("X-Docker-Container-Path-Stat",
                         stat_header(fsys.stat(req.param("id"), required_path(req))));
          res.send(200, "", "application/json");
        });
  r.add("GET", "/containers/{id*}/archive",
        [&, stat_header](http::Request& req, http::Response& res) {
          fsys.get_archive(
              req.param("id"), required_path(req),
              [&](const json& st) {
                res.set_header("X-Docker-Container-Path-Stat", stat_header(st));
                res.start_stream(200, "application/x-tar");
              },
              [&](std::string_view data) { res.write(data); });
          res.finish();
        });
  r.add("PUT", "/containers/{id*}/archive", [&](http::Request& req, http::Response& res) {
    fsys.put_archive(req.param("id"), required_path(req), req.query_bool("noOverwriteDirNonDir"),
                     [&](char* data, size_t size) { return req.read_body_some(data, size); });
    res.send(200, "", "text/plain");
  });

  r.add("GET", "/containers/{id*}/export", [&](http::Request& req, http::Response& res) {
    const std::string id = containers.resolve(req.param("id"));
    // Before the export: it holds the container's lock while it reads a stopped one's files.
    containers.record_event(id, "export");
    bool started = false;
    fsys.export_rootfs(id, [&](std::string_view data) {
      if (!started) res.start_stream(200, "application/x-tar");
      started = true;
      res.write(data);
    });
    if (!started) res.start_stream(200, "application/x-tar");
    res.finish();
  });

  r.add("GET", "/containers/{id*}/changes", [&](http::Request& req, http::Response& res) {
    res.send_json(200, fsys.changes(req.param("id")));
  });

  r.add("POST", "/containers/{id*}/update", [&](http::Request& req, http::Response& res) {
    const auto warnings = containers.update(req.param("id"), req.read_json());
    // null when there are none, as dockerd answers.
    res.send_json(200, {{"Warnings", warnings.empty() ? json() : json(warnings)}});
  });

  r.add("POST", "/commit", [&](http::Request& req, http::Response& res) {
    const auto container = req.query("container");
    if (!container || container->empty())
      throw InvalidArgument("missing required parameter: container");
    std::string reference = req.query("repo").value_or("");
    const std::string tag = req.query("tag").value_or("");
    if (!reference.empty() && !tag.empty()) reference += ":" + tag;
    const json config = req.read_json();
    const std::string id = containers.commit(
        *container, reference, req.query("comment").value_or(""), req.query("author").value_or(""),
        config, req.query_all("changes"), req.query_bool("pause", true));
    res.send_json(201, {{"Id", id}});
  });
}

}  // namespace berth::engine::api
