// The bridge driver's pure parts: address management, port binding rules, the nftables text and
// the state file. The kernel-facing parts are in tests/integration/engine_network_test.cpp.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "engine/network/ipam.hpp"
#include "engine/network/network_state.hpp"
#include "engine/network/nftables.hpp"
#include "engine/network/port_allocator.hpp"

using namespace berth;
using namespace berth::engine;
using Catch::Matchers::Contains;

namespace {

PortBinding binding(const std::string& ip, uint16_t host, const std::string& protocol = "tcp",
                    uint16_t container = 80) {
  PortBinding b;
  b.host_ip = ip;
  b.host_port = host;
  b.container_port = container;
  b.protocol = protocol;
  return b;
}

}  // namespace

TEST_CASE("ipam: parses, formats and allocates like docker's default bridge", "[network]") {
  CHECK(parse_ipv4("172.17.0.2") == 0xac110002);
  CHECK(format_ipv4(0xac110002) == "172.17.0.2");
  CHECK_THROWS_AS(parse_ipv4("172.17.2"), InvalidArgument);
  CHECK_THROWS_AS(parse_ipv4("nope"), InvalidArgument);

  Ipv4Subnet subnet = parse_subnet("172.17.0.0/16");
  CHECK(subnet.prefix == 16);
  CHECK(subnet.broadcast() == 0xac11ffff);
  CHECK(subnet.contains(0xac110102));
  CHECK_FALSE(subnet.contains(0xac120001));
  CHECK_THROWS_AS(parse_subnet("172.17.0.1/16"), InvalidArgument);  // host bits
  CHECK_THROWS_AS(parse_subnet("172.17.0.0"), InvalidArgument);
  CHECK_THROWS_AS(parse_subnet("172.17.0.0/31"), InvalidArgument);

  uint32_t gateway = 0xac110001;
  CHECK(allocate_address(subnet, gateway, {}) == 0xac110002);
  CHECK(allocate_address(subnet, gateway, {0xac110002, 0xac110004}) == 0xac110003);
  // Gateway not at .1: still skipped, as are network and broadcast.
  Ipv4Subnet tiny = parse_subnet("10.0.0.0/30");  // .1 and .2 usable
  CHECK(allocate_address(tiny, 0x0a000002, {}) == 0x0a000001);
  CHECK_THROWS_AS(allocate_address(tiny, 0x0a000002, {0x0a000001}), Unavailable);

  CHECK(format_mac(mac_for_ipv4(0xac110002)) == "02:42:ac:11:00:02");
  // --mac-address: either separator and case in, one form out; anything else refused.
  REQUIRE(parse_mac("02:42:AC:11:00:99"));
  CHECK(format_mac(*parse_mac("02:42:AC:11:00:99")) == "02:42:ac:11:00:99");
  CHECK(format_mac(*parse_mac("02-42-ac-11-00-9a")) == "02:42:ac:11:00:9a");
  for (const char* bad : {"", "zz", "02:42:ac:11:00", "02:42:ac:11:00:99:00", "02:42-ac:11:00:99",
                          "02:42:ac:11:00:9g", "0242.ac11.0099", "02:42:ac:11:00:99 "})
    CHECK_FALSE(parse_mac(bad));
}

TEST_CASE("port bindings: normalization and conflicts", "[network]") {
  PortBinding b = normalize_binding(binding("", 8080, "TCP"));
  CHECK(b.host_ip == "0.0.0.0");
  CHECK(b.protocol == "tcp");
  CHECK_THROWS_AS(normalize_binding(binding("", 8080, "sctp")), InvalidArgument);
  CHECK_THROWS_AS(normalize_binding(binding("", 8080, "tcp", 0)), InvalidArgument);
  CHECK_THROWS_AS(normalize_binding(binding("::1", 8080)), InvalidArgument);

  CHECK(bindings_conflict(binding("0.0.0.0", 8080), binding("127.0.0.1", 8080)));
  CHECK(bindings_conflict(binding("127.0.0.1", 8080), binding("127.0.0.1", 8080)));
  CHECK_FALSE(bindings_conflict(binding("127.0.0.1", 8080), binding("127.0.0.2", 8080)));
  CHECK_FALSE(bindings_conflict(binding("0.0.0.0", 8080), binding("0.0.0.0", 8080, "udp")));
  CHECK_FALSE(bindings_conflict(binding("0.0.0.0", 8080), binding("0.0.0.0", 8081)));

  // A port another container has is refused before anything is bound.
  PortAllocator allocator;
  try {
    allocator.allocate({binding("", 8080)}, {binding("0.0.0.0", 8080)});
    FAIL("no conflict");
  } catch (const Conflict& e) {
    CHECK(std::string(e.what()) == "Bind for 0.0.0.0:8080 failed: port is already allocated");
  }
}

TEST_CASE("nftables text: base rules and per-container chain", "[network]") {
  std::string base = nft_base_rules("berth0", "172.17.0.0/16");
  CHECK_THAT(base, Contains("add table ip berth"));
  CHECK_THAT(base, Contains("ip saddr 172.17.0.0/16 oifname != \"berth0\" masquerade"));
  CHECK_THAT(base, Contains("vmap @publish"));
  CHECK_THAT(nft_reset_table(base), Contains("delete table ip berth"));

  std::string rules = nft_container_rules(
      "abc", "172.17.0.2", {binding("0.0.0.0", 8080), binding("127.0.0.1", 5353, "udp", 53)});
  CHECK_THAT(rules, Contains("add rule ip berth c-abc tcp dport 8080 dnat to 172.17.0.2:80"));
  CHECK_THAT(rules, Contains("ip daddr 127.0.0.1 udp dport 5353 dnat to 172.17.0.2:53"));
  CHECK_THAT(rules, Contains("0.0.0.0/0 . tcp . 8080 : jump c-abc"));
  CHECK_THAT(rules, Contains("127.0.0.1 . udp . 5353 : jump c-abc"));
  CHECK(nft_container_rules("abc", "172.17.0.2", {}).empty());

  auto removal = nft_container_removal("abc", {binding("0.0.0.0", 8080)});
  REQUIRE(removal.size() == 2);
  CHECK_THAT(removal[0], Contains("delete element ip berth publish { 0.0.0.0/0 . tcp . 8080 }"));
  CHECK_THAT(removal[1], Contains("delete chain ip berth c-abc"));
}

TEST_CASE("network state: round trip, missing and corrupt files", "[network]") {
  char pattern[] = "/tmp/berth-netstate-XXXXXX";
  REQUIRE(mkdtemp(pattern));
  std::string dir = pattern;
  std::string path = dir + "/network/bridge.json";

  NetworkState fresh = load_network_state(path);
  CHECK(fresh.network_id.size() == 64);
  CHECK(fresh.endpoints.empty());

  Endpoint endpoint{"c1",
                    std::string(64, 'e'),
                    std::string(64, 's'),
                    "172.17.0.2",
                    "02:42:ac:11:00:02",
                    "veth1234567",
                    dir + "/netns/c1",
                    {normalize_binding(binding("", 8080))}};
  fresh.endpoints["c1"] = endpoint;
  save_network_state(path, fresh);
  NetworkState loaded = load_network_state(path);
  CHECK(loaded.network_id == fresh.network_id);
  REQUIRE(loaded.endpoints.count("c1") == 1);
  const Endpoint& back = loaded.endpoints["c1"];
  CHECK(back.container_id == "c1");
  CHECK(back.ip_address == "172.17.0.2");
  CHECK(back.veth == "veth1234567");
  REQUIRE(back.ports.size() == 1);
  CHECK(back.ports[0].host_ip == "0.0.0.0");
  CHECK(back.ports[0].host_port == 8080);

  write_file_atomic(path, "{not json");
  CHECK_THROWS_AS(load_network_state(path), Error);
  std::filesystem::remove_all(dir);
}
