#pragma once
// /networks: the three built-in networks (bridge, host, none). User-defined networks are answered
// with a clear "not supported yet" until they land. The bridge network is described from the
// bridge driver's own state, so that its Id is the NetworkID containers' inspect shows and its
// Containers are the attached ones.
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/http_router.hpp"

namespace berth::engine {
class NetworkManager;
struct BridgeNetwork;
}  // namespace berth::engine

namespace berth::engine::api {

// A container's name without docker's leading "/" ("" when it is gone).
using ContainerNameFn = std::function<std::string(const std::string& container_id)>;

// The bridge network's inspect object: Id, Created, Containers (Name, EndpointID, MacAddress,
// IPv4Address "172.17.0.2/16", IPv6Address) and dockerd's com.docker.network.bridge.* Options.
nlohmann::json bridge_network_inspect(const BridgeNetwork& bridge, const ContainerNameFn& name_of);

// /networks with the bridge network as the driver knows it (host and none as before).
void add_network_routes(http::Router& router, const NetworkManager& network,
                        ContainerNameFn name_of);

}  // namespace berth::engine::api
