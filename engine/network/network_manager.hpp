#pragma once
// Container networking for the engine: `none`, `host`, and Docker's default bridge (`bridge`, a
// Linux bridge "berth0" with NAT for outbound traffic), with published ports (-p/-P) for TCP and
// UDP.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/network/ipam.hpp"

namespace berth::engine {

struct PortBinding {
  std::string host_ip;     // "" or "0.0.0.0" = every address; "127.0.0.1" = that one only
  uint16_t host_port = 0;  // 0 = pick a free one (-P, or "-p 80")
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp | udp
};

struct Attachment {
  std::string network = "bridge";
  std::string netns_path;  // bind-mounted namespace file the OCI spec points at
  std::string ip_address, gateway, mac_address;
  int prefix_length = 16;
  std::vector<PortBinding> ports;  // with the host ports actually bound
};

struct BridgeConfig {
  std::string bridge_name = "berth0";
  std::string subnet = "172.17.0.0/16";
  std::string gateway = "172.17.0.1";
  std::string netns_dir;   // <exec-root>/netns
  std::string state_file;  // <data-root>/network/bridge.json: allocated addresses and ports
};

// A container on the bridge, as `docker network inspect bridge` lists it.
struct BridgeEndpoint {
  std::string container_id;
  std::string endpoint_id;
  std::string mac_address;
  std::string ipv4_address;  // with the prefix length: "172.17.0.2/16"
};

// The default bridge network as docker shows it: its ID (the NetworkID containers' inspect shows
// too), when it was made, its settings and its endpoints.
struct BridgeNetwork {
  std::string id;
  std::string created;  // RFC3339Nano
  std::string bridge_name;
  std::string subnet;
  std::string gateway;
  std::vector<BridgeEndpoint> endpoints;
};

class NetworkManager {
 public:
  explicit NetworkManager(BridgeConfig config);
  ~NetworkManager();

  // Creates the container's namespace on the bridge: veth pair, address, default route, loopback
  // up, NAT, and the published ports. Throws Conflict ("port is already allocated") or
  // berth::Error; a failure undoes everything done so far. The container's MAC address is `mac`
  // when given (--mac-address), else the one docker derives from its IPv4 address.
  Attachment attach(const std::string& container_id, const std::vector<PortBinding>& ports,
                    const std::optional<MacAddress>& mac = std::nullopt);
  // Undoes attach(); idempotent (safe after a crash halfway).
  void detach(const std::string& container_id);
  // After a berthd restart: re-adopts attachments of containers still running, drops the rest.
  void restore(const std::vector<std::string>& running_container_ids);

  // The NetworkSettings object docker inspect reads for `attachment`: Networks {"bridge": {…}},
  // Ports {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]} (published ports only; the
  // caller adds exposed-but-unpublished ones as null), and the deprecated top-level copies
  // (IPAddress, Gateway, MacAddress, EndpointID, SandboxID, SandboxKey, …) older clients read.
  nlohmann::json inspect_json(const Attachment& attachment) const;

  BridgeNetwork bridge_network() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::engine
