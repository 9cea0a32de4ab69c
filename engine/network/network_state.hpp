#pragma once
// What the bridge driver persists (BridgeConfig::state_file): the network's ID and, per attached
// container, everything needed to find and undo its networking after an engine restart or crash.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/network/network_manager.hpp"

namespace berth::engine {

struct Endpoint {
  std::string container_id;
  std::string endpoint_id;  // 64 hex, as docker's EndpointID
  std::string sandbox_id;   // 64 hex, as docker's SandboxID
  std::string ip_address;
  std::string mac_address;
  std::string veth;  // host side
  std::string netns_path;
  std::vector<PortBinding> ports;  // resolved host ports
};

struct NetworkState {
  std::string network_id;  // 64 hex; made once, kept across restarts
  std::string created;     // RFC3339Nano, when network_id was made
  bool fresh = false;      // made by load_network_state just now (no file yet), not read back
  std::map<std::string, Endpoint> endpoints;  // by container ID
};

nlohmann::json port_binding_to_json(const PortBinding& binding);
PortBinding port_binding_from_json(const nlohmann::json& object);

// Missing file: an empty state with a new network ID, created now (`fresh`). A file from before
// "created" was kept gets the time of loading, and is `fresh` too so that it is saved once.
// Unreadable or corrupt: throws Error naming the file (the engine must not silently forget
// addresses and ports that are in use).
NetworkState load_network_state(const std::string& path);
// Atomic replace (temp file + rename + fsync); creates the directory.
void save_network_state(const std::string& path, const NetworkState& state);

// 64 random hex digits, for network, endpoint and sandbox IDs.
std::string random_hex_id(size_t digits = 64);

}  // namespace berth::engine
