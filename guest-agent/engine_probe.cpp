#include "guest-agent/engine_probe.hpp"

#include <exception>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/http_client.hpp"
#include "common/json.hpp"

namespace berth::agent {

namespace {

std::optional<http::ClientResponse> get(const std::string& socket_path, const char* target,
                                        std::chrono::milliseconds timeout) {
  if (socket_path.empty()) return std::nullopt;
  try {
    http::ClientOptions options;
    options.endpoint.kind = Endpoint::Kind::unix_socket;
    options.endpoint.path = socket_path;
    options.connect_timeout = timeout;
    options.io_timeout = timeout;
    http::HttpClient client(options);
    return client.request("GET", target, {}, {}, 1 << 20);
  } catch (const std::exception&) {
    return std::nullopt;  // not listening yet, or dying: either way not ready
  }
}

}  // namespace

bool engine_ping(const std::string& socket_path, std::chrono::milliseconds timeout) {
  const auto response = get(socket_path, "/_ping", timeout);
  return response && response->status == 200;
}

std::optional<EngineVersion> engine_version(const std::string& socket_path,
                                            std::chrono::milliseconds timeout) {
  const auto response = get(socket_path, "/version", timeout);
  if (!response || response->status != 200) return std::nullopt;
  try {
    const Json body = Json::parse(response->body);
    return EngineVersion{body.value("Version", ""), body.value("ApiVersion", "")};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string engine_socket_for_config(const std::string& config_file) {
  constexpr const char* kDefault = "/run/berth/berth.sock";
  if (config_file.empty() || !std::filesystem::exists(config_file)) return kDefault;
  Json config;
  try {
    config = Json::parse(read_file(config_file));
  } catch (const std::exception&) {
    return kDefault;  // berthd will refuse it too; status then shows it never became ready
  }
  if (!config.is_object()) return kDefault;
  const auto hosts = config.find("hosts");
  if (hosts == config.end() || !hosts->is_array() || hosts->empty()) {
    const auto exec_root = config.find("exec-root");
    if (exec_root != config.end() && exec_root->is_string()) {
      return exec_root->get<std::string>() + "/berth.sock";
    }
    return kDefault;
  }
  for (const auto& host : *hosts) {
    if (!host.is_string()) continue;
    const std::string value = host.get<std::string>();
    if (value.rfind("unix://", 0) == 0) return value.substr(7);
  }
  return "";
}

}  // namespace berth::agent
