#include "engine/network/network_state.hpp"

#include <sys/random.h>

#include <cerrno>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/time_format.hpp"

namespace berth::engine {

using nlohmann::json;

std::string random_hex_id(size_t digits) {
  std::string bytes((digits + 1) / 2, '\0');
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("getrandom");
    }
    filled += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : bytes) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  out.resize(digits);
  return out;
}

json port_binding_to_json(const PortBinding& binding) {
  return {{"host_ip", binding.host_ip},
          {"host_port", binding.host_port},
          {"container_port", binding.container_port},
          {"protocol", binding.protocol}};
}

PortBinding port_binding_from_json(const json& object) {
  PortBinding binding;
  binding.host_ip = object.at("host_ip").get<std::string>();
  binding.host_port = object.at("host_port").get<uint16_t>();
  binding.container_port = object.at("container_port").get<uint16_t>();
  binding.protocol = object.at("protocol").get<std::string>();
  return binding;
}

namespace {

json endpoint_to_json(const Endpoint& endpoint) {
  json ports = json::array();
  for (const auto& port : endpoint.ports) ports.push_back(port_binding_to_json(port));
  return {{"endpoint_id", endpoint.endpoint_id},
          {"sandbox_id", endpoint.sandbox_id},
          {"ip_address", endpoint.ip_address},
          {"mac_address", endpoint.mac_address},
          {"veth", endpoint.veth},
          {"netns_path", endpoint.netns_path},
          {"ports", std::move(ports)}};
}

Endpoint endpoint_from_json(const std::string& container_id, const json& object) {
  Endpoint endpoint;
  endpoint.container_id = container_id;
  endpoint.endpoint_id = object.at("endpoint_id").get<std::string>();
  endpoint.sandbox_id = object.at("sandbox_id").get<std::string>();
  endpoint.ip_address = object.at("ip_address").get<std::string>();
  endpoint.mac_address = object.at("mac_address").get<std::string>();
  endpoint.veth = object.at("veth").get<std::string>();
  endpoint.netns_path = object.at("netns_path").get<std::string>();
  for (const auto& port : object.at("ports")) {
    endpoint.ports.push_back(port_binding_from_json(port));
  }
  return endpoint;
}

}  // namespace

NetworkState load_network_state(const std::string& path) {
  NetworkState state;
  std::string text;
  try {
    text = read_file(path);
  } catch (const NotFound&) {
    state.network_id = random_hex_id();
    state.created = rfc3339_nano(std::chrono::system_clock::now());
    state.fresh = true;
    return state;
  }
  try {
    json root = json::parse(text);
    state.network_id = root.at("network_id").get<std::string>();
    state.created = root.value("created", "");
    if (state.created.empty()) {
      state.created = rfc3339_nano(std::chrono::system_clock::now());
      state.fresh = true;
    }
    for (const auto& [id, endpoint] : root.at("endpoints").items()) {
      state.endpoints.emplace(id, endpoint_from_json(id, endpoint));
    }
  } catch (const json::exception& e) {
    throw Error("corrupt network state file " + path + ": " + e.what());
  }
  return state;
}

void save_network_state(const std::string& path, const NetworkState& state) {
  json endpoints = json::object();
  for (const auto& [id, endpoint] : state.endpoints) endpoints[id] = endpoint_to_json(endpoint);
  json root = {{"network_id", state.network_id},
               {"created", state.created},
               {"endpoints", std::move(endpoints)}};
  auto directory = std::filesystem::path(path).parent_path();
  if (!directory.empty()) ensure_directory(directory.string(), 0700);
  write_file_atomic(path, root.dump(2) + "\n", 0600);
}

}  // namespace berth::engine
