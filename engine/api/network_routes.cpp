#include "engine/api/network_routes.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/http_server.hpp"
#include "common/json.hpp"
#include "common/time_format.hpp"
#include "engine/images/digest.hpp"

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

}  // namespace

void add_network_routes(http::Router& r, const std::string& subnet, const std::string& gateway) {
  auto all = [subnet, gateway] {
    return std::vector<json>{builtin("bridge", "bridge", subnet, gateway),
                             builtin("host", "host", "", ""), builtin("none", "null", "", "")};
  };
  auto find = [all](const std::string& ref) {
    for (const auto& n : all())
      if (n["Name"] == ref || (ref.size() >= 3 && n["Id"].get<std::string>().starts_with(ref)))
        return n;
    throw NotFound("network " + ref + " not found");
  };
  r.add("GET", "/networks", [all](http::Request& req, http::Response& res) {
    json filters = json::object();
    if (auto f = req.query("filters"); f && !f->empty()) filters = parse_json_object(*f, "filters");
    json out = json::array();
    for (const auto& n : all()) {
      bool keep = true;
      if (filters.contains("name")) {
        keep = false;
        for (const auto& [v, _] : filters["name"].items())
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
  r.add("POST", "/networks/prune", [](http::Request&, http::Response& res) {
    res.send_json(200, {{"NetworksDeleted", json::array()}});
  });
  r.add("DELETE", "/networks/{id}", [find](http::Request& req, http::Response&) {
    const json n = find(req.param("id"));
    throw Conflict(n["Name"].get<std::string>() +
                   " is a pre-defined network and cannot be removed");
  });
}

}  // namespace berth::engine::api
