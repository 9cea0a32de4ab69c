#include "engine/api/network_routes.hpp"

#include <algorithm>
#include <functional>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/http_server.hpp"
#include "common/json.hpp"
#include "common/time_format.hpp"
#include "engine/api/network_routes.hpp"
#include "engine/images/digest.hpp"
#include "engine/network/network_manager.hpp"

using nlohmann::json;

namespace berth::engine::api {

namespace {

json builtin(const std::string& name, const std::string& driver, const std::string& subnet,
             const std::string& gateway) {
  json config = json::array();
  if (!subnet.empty()) config.push_back({{"Subnet", subnet}, {"Gateway", gateway}});
  return {{"Name", name},
          {"Id", sha256_hex("berth-network-" + name)},
          {"Created", "0001-01-01T00:00:00Z"},
          {"Scope", "local"},
          {"Driver", driver},
          {"EnableIPv4", true},
          {"EnableIPv6", false},
          {"IPAM", {{"Driver", "default"}, {"Options", nullptr}, {"Config", config}}},
          {"Internal", false},
          {"Attachable", false},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", json::object()},
          {"Options", json::object()},
          {"Labels", json::object()}};
}

// dockerd's options of its default bridge; the name is berth's bridge device.
json bridge_options(const std::string& bridge_name) {
  return {{"com.docker.network.bridge.default_bridge", "true"},
          {"com.docker.network.bridge.enable_icc", "true"},
          {"com.docker.network.bridge.enable_ip_masquerade", "true"},
          {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
          {"com.docker.network.bridge.name", bridge_name},
          {"com.docker.network.driver.mtu", "1500"}};
}

using NetworksFn = std::function<std::vector<json>()>;

// The request's filters, each key checked against those dockerd accepts there, with its text.
json checked_filters(http::Request& req, const std::vector<std::string>& accepted) {
  json filters = json::object();
  if (auto f = req.query("filters"); f && !f->empty()) filters = parse_json_object(*f, "filters");
  for (const auto& [key, _] : filters.items())
    if (std::find(accepted.begin(), accepted.end(), key) == accepted.end())
      throw InvalidArgument("Invalid filter '" + key + "'");
  return filters;
}

// A filter's values, whether sent as {"v":true} or ["v"].
std::vector<std::string> filter_values(const json& filters, const std::string& key) {
  std::vector<std::string> values;
  const auto found = filters.find(key);
  if (found == filters.end()) return values;
  if (found->is_object())
    for (const auto& [v, _] : found->items()) values.push_back(v);
  else if (found->is_array())
    for (const auto& v : *found)
      if (v.is_string()) values.push_back(v.get<std::string>());
  return values;
}

void add_routes(http::Router& r, NetworksFn all);

}  // namespace

json bridge_network_inspect(const BridgeNetwork& bridge, const ContainerNameFn& name_of) {
  json network = builtin("bridge", "bridge", bridge.subnet, bridge.gateway);
  network["Id"] = bridge.id;
  if (!bridge.created.empty()) network["Created"] = bridge.created;
  network["Options"] = bridge_options(bridge.bridge_name);
  json containers = json::object();
  for (const auto& endpoint : bridge.endpoints)
    containers[endpoint.container_id] = {{"Name", name_of(endpoint.container_id)},
                                         {"EndpointID", endpoint.endpoint_id},
                                         {"MacAddress", endpoint.mac_address},
                                         {"IPv4Address", endpoint.ipv4_address},
                                         {"IPv6Address", ""}};
  network["Containers"] = std::move(containers);
  return network;
}

void add_network_routes(http::Router& r, const NetworkManager& network, ContainerNameFn name_of) {
  add_routes(r, [&network, name_of = std::move(name_of)] {
    return std::vector<json>{bridge_network_inspect(network.bridge_network(), name_of),
                             builtin("host", "host", "", ""), builtin("none", "null", "", "")};
  });
}

namespace {

void add_routes(http::Router& r, NetworksFn all) {
  auto find = [all](const std::string& ref) {
    for (const auto& n : all())
      if (n["Name"] == ref || (ref.size() >= 3 && n["Id"].get<std::string>().starts_with(ref)))
        return n;
    throw NotFound("network " + ref + " not found");
  };
  r.add("GET", "/networks", [all](http::Request& req, http::Response& res) {
    const json filters =
        checked_filters(req, {"driver", "type", "name", "id", "label", "scope", "dangling"});
    json out = json::array();
    for (const auto& n : all()) {
      bool keep = true;
      if (filters.contains("name")) {
        keep = false;
        for (const auto& v : filter_values(filters, "name"))
          if (n["Name"].get<std::string>().find(v) != std::string::npos) keep = true;
      }
      if (keep) out.push_back(n);
    }
    res.send_json(200, out);
  });
  r.add("GET", "/networks/{id}", [find](http::Request& req, http::Response& res) {
    res.send_json(200, find(req.param("id")));
  });
  auto unsupported = [](http::Request&, http::Response&) {
    throw InvalidArgument(
        "user-defined networks are not supported yet: berth offers the built-in bridge, host and "
        "none");
  };
  r.add("POST", "/networks/create", unsupported);
  r.add("POST", "/networks/{id}/connect", unsupported);
  r.add("POST", "/networks/{id}/disconnect", unsupported);
  r.add("POST", "/networks/prune", [](http::Request& req, http::Response& res) {
    // Only the built-in networks exist, which prune never removes; the filters are still checked.
    const json filters = checked_filters(req, {"until", "label", "label!"});
    for (const auto& until : filter_values(filters, "until")) parse_docker_time(until);
    res.send_json(200, {{"NetworksDeleted", json::array()}});
  });
  r.add("DELETE", "/networks/{id}", [find](http::Request& req, http::Response&) {
    const json n = find(req.param("id"));
    throw Conflict(n["Name"].get<std::string>() +
                   " is a pre-defined network and cannot be removed");
  });
}

}  // namespace

}  // namespace berth::engine::api
