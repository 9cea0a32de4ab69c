// `docker network inspect bridge` from the driver's state (engine/api/network_routes.hpp).
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "engine/api/network_routes.hpp"
#include "engine/network/network_manager.hpp"
#include "engine/network/network_state.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;

TEST_CASE("h3 network: bridge inspect lists containers, options and the creation time",
          "[network]") {
  BridgeNetwork bridge{
      std::string(64, 'a'),
      "2026-11-28T15:00:00.123456789Z",
      "berth0",
      "172.17.0.0/16",
      "172.17.0.1",
      {{std::string(64, 'c'), std::string(64, 'e'), "02:42:ac:11:00:02", "172.17.0.2/16"}}};
  const json n = api::bridge_network_inspect(
      bridge, [](const std::string& id) { return id.substr(0, 1) == "c" ? "web" : ""; });
  CHECK(n["Id"] == std::string(64, 'a'));
  CHECK(n["Created"] == "2026-11-28T15:00:00.123456789Z");
  CHECK(n["Name"] == "bridge");
  const json& c = n["Containers"][std::string(64, 'c')];
  CHECK(c == json{{"Name", "web"},
                  {"EndpointID", std::string(64, 'e')},
                  {"MacAddress", "02:42:ac:11:00:02"},
                  {"IPv4Address", "172.17.0.2/16"},
                  {"IPv6Address", ""}});
  CHECK(n["Options"]["com.docker.network.bridge.name"] == "berth0");
  CHECK(n["Options"]["com.docker.network.bridge.default_bridge"] == "true");
  CHECK(n["Options"]["com.docker.network.bridge.enable_ip_masquerade"] == "true");
  CHECK(n["IPAM"]["Config"][0]["Subnet"] == "172.17.0.0/16");
}

TEST_CASE("h3 network: the bridge's ID and creation time are kept from the first start",
          "[network]") {
  char pattern[] = "/tmp/berth-h3-net-XXXXXX";
  REQUIRE(mkdtemp(pattern));
  const std::string dir = pattern;
  BridgeConfig config;
  config.netns_dir = dir + "/netns";
  config.state_file = dir + "/network/bridge.json";
  std::string id, created;
  {
    NetworkManager first(config);
    id = first.bridge_network().id;
    created = first.bridge_network().created;
  }
  CHECK(id.size() == 64);
  CHECK(created.size() > 20);
  NetworkManager second(config);
  CHECK(second.bridge_network().id == id);
  CHECK(second.bridge_network().created == created);
  CHECK(second.bridge_network().endpoints.empty());
  // The container side names the same network.
  Attachment attachment;
  CHECK(second.inspect_json(attachment)["Networks"]["bridge"]["NetworkID"] == id);
  std::filesystem::remove_all(dir);
}

TEST_CASE("h3 network: a state file from before creation times gets one, once", "[network]") {
  char pattern[] = "/tmp/berth-h3-net-XXXXXX";
  REQUIRE(mkdtemp(pattern));
  const std::string path = std::string(pattern) + "/bridge.json";
  write_file_atomic(path, R"({"network_id": ")" + std::string(64, 'b') + R"(", "endpoints": {}})");
  NetworkState old = load_network_state(path);
  CHECK(old.network_id == std::string(64, 'b'));
  CHECK(old.fresh);
  CHECK_FALSE(old.created.empty());
  save_network_state(path, old);
  NetworkState again = load_network_state(path);
  CHECK(again.created == old.created);
  CHECK_FALSE(again.fresh);
  std::filesystem::remove_all(pattern);
}
