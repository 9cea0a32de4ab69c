#include "engine/api/api_server.hpp"

#include <regex>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/api/container_data_routes.hpp"
#include "engine/api/container_routes.hpp"
#include "engine/api/deferred_trim.hpp"
#include "engine/api/exec_routes.hpp"
#include "engine/api/image_routes.hpp"
#include "engine/api/network_routes.hpp"
#include "engine/api/volume_routes.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/daemon/daemon_config.hpp"
#include "engine/events.hpp"

namespace berth::engine::api {

bool version_filter(http::Request& req, http::Response& res) {
  static const std::regex prefix(R"(^/v(\d+)\.(\d+)(/.*)$)");
  std::smatch m;
  const std::string path = req.path();
  if (!std::regex_match(path, m, prefix)) return true;
  const int major = std::stoi(m[1].str().substr(0, 3)), minor = std::stoi(m[2].str().substr(0, 3));
  const int version = major * 100 + minor;
  const std::string text = std::to_string(major) + "." + std::to_string(minor);
  if (version < kMinApiVersion) {
    res.send_error(400,
                   "client version " + text +
                       " is too old. Minimum supported API version is 1.24, please upgrade your "
                       "client to a newer version");
    return false;
  }
  if (version > kMaxApiVersion) {
    res.send_error(400,
                   "client version " + text + " is too new. Maximum supported API version is 1.50");
    return false;
  }
  req.attributes()["api-version"] = text;
  req.set_path(m[3].str());
  return true;
}

std::unique_ptr<http::Server> make_api_server(const SystemContext& ctx) {
  http::Router router;
  add_system_routes(router, ctx);
  add_container_routes(router, ctx.containers, ctx.images);
  add_exec_routes(router, ctx.execs);
  add_network_routes(router, ctx.network, [&ctx](const std::string& id) {
    try {
      return ctx.containers.get(id).bare_name();
    } catch (const NotFound&) {
      return std::string();
    }
  });
  add_volume_routes(router);
  add_container_data_routes(router, ctx.containers, ctx.filesystem);
  add_image_routes(
      router, ctx.images, ctx.events,
      [&ctx](const std::string& id) { return ctx.containers.image_in_use(id); },
      [&ctx](const std::string& id) {
        std::vector<ImageUser> users;
        ctx.containers.for_each([&](const Container& c) {
          if (c.image_id == id) users.push_back({c.id, c.state.running()});
        });
        return users;
      });
  http::ServerLimits limits;
  auto server = std::make_unique<http::Server>(std::move(router), limits);
  server->set_default_headers({{"Api-Version", "1.50"},
                               {"Docker-Experimental", "false"},
                               {"Ostype", "linux"},
                               {"Server", std::string("berth/") + BERTH_VERSION + " (linux)"}});
  server->set_request_filter(version_filter);
  // Memory freed by the connections' threads goes back to the system once the API rests a second
  // (well within the 3 s the idle-memory benchmark waits). The callback, and with it the trimmer,
  // lives as long as the server.
  auto trim = std::make_shared<DeferredTrim>(std::chrono::seconds(1));
  server->set_idle_callback([trim] { trim->idle(); });
  return server;
}

void listen_all(http::Server& server, const DaemonConfig& config) {
  for (const auto& host : config.hosts) {
    http::Listener listener;
    listener.endpoint = Endpoint::parse(host, config.tls_verify ? 2376 : 2375);
    if (listener.endpoint.kind == Endpoint::Kind::tcp && !config.tls_cert.empty()) {
      tls::ServerTlsConfig tls;
      tls.cert_pem = read_file(config.tls_cert);
      tls.key_pem = read_file(config.tls_key);
      tls.verify_clients = config.tls_verify;
      if (config.tls_verify) tls.ca_pem = read_file(config.tls_ca);
      listener.tls = tls;
    } else if (listener.endpoint.kind == Endpoint::Kind::tcp) {
      log::warn("listening on TCP without TLS: anyone who reaches this port controls the engine",
                {{"address", host}});
    }
    server.listen(listener);
    log::info("API listening", {{"address", listener.endpoint.to_string()},
                                {"tls", listener.tls.has_value()},
                                {"verify_clients", config.tls_verify}});
  }
}

}  // namespace berth::engine::api
