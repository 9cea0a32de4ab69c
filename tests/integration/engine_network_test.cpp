// The bridge network driver against the real kernel. Each test moves its thread into a network
// namespace of its own (the "host"), so the bridge, veths, nftables table and all traffic stay
// inside namespaces the test created; "containers" are bare namespaces, no runtime needed.
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "engine/network/netlink.hpp"
#include "engine/network/netns.hpp"
#include "engine/network/network_manager.hpp"
#include "integration/engine_network_support.hpp"

using namespace berth;
using namespace berth::engine;
using namespace berth::engine::testing;
using Catch::Matchers::Contains;

namespace {

BridgeConfig config_for(const HostNetns& host) {
  BridgeConfig config;
  config.netns_dir = host.netns_dir();
  config.state_file = host.state_file();
  return config;
}

PortBinding port(uint16_t host, uint16_t container, const std::string& protocol = "tcp",
                 const std::string& host_ip = "") {
  PortBinding binding;
  binding.host_ip = host_ip;
  binding.host_port = host;
  binding.container_port = container;
  binding.protocol = protocol;
  return binding;
}

size_t netns_files(const HostNetns& host) {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(host.netns_dir())) {
    ++count;
  }
  return count;
}

// /proc files cannot be replaced by rename: write in place.
void write_proc(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value << std::flush;
  REQUIRE(out.good());
}

bool ping(const std::string& netns, const std::string& ip) {
  return run({"busybox", "ping", "-c1", "-W2", ip}, netns).status.success();
}

}  // namespace

TEST_CASE("bridge: containers get eth0, reach the gateway and each other, publish ports",
          "[network]") {
  HostNetns host;
  // Everything must work with and without br_netfilter's hooks on bridged traffic (docker loads
  // the module; a fresh VM has not); the setting is per namespace.
  bool bridge_netfilter = GENERATE(true, false);
  const char* knob = "/proc/sys/net/bridge/bridge-nf-call-iptables";
  if (std::filesystem::exists(knob)) write_proc(knob, bridge_netfilter ? "1" : "0");
  NetworkManager network(config_for(host));

  Attachment a = network.attach("c1", {port(8080, 80), port(8081, 81, "udp")});
  Attachment b = network.attach("c2", {port(8082, 80, "tcp", "127.0.0.1")});

  CHECK(a.ip_address == "172.17.0.2");
  CHECK(b.ip_address == "172.17.0.3");
  CHECK(a.gateway == "172.17.0.1");
  CHECK(a.prefix_length == 16);
  CHECK(a.mac_address == "02:42:ac:11:00:02");
  CHECK(a.netns_path == host.netns_dir() + "/c1");
  REQUIRE(a.ports.size() == 2);
  CHECK(a.ports[0].host_ip == "0.0.0.0");
  CHECK(a.ports[0].host_port == 8080);

  // What `ip` inside the container sees.
  auto addr = run({"ip", "-o", "-4", "addr", "show", "dev", "eth0"}, a.netns_path);
  CHECK_THAT(addr.stdout_data, Contains("172.17.0.2/16"));
  auto link = run({"ip", "-o", "link", "show", "dev", "eth0"}, a.netns_path);
  CHECK_THAT(link.stdout_data, Contains("02:42:ac:11:00:02"));
  CHECK_THAT(link.stdout_data, Contains("state UP"));
  auto route = run({"ip", "route", "show", "default"}, a.netns_path);
  CHECK_THAT(route.stdout_data, Contains("default via 172.17.0.1 dev eth0"));
  auto lo = run({"ip", "-o", "link", "show", "dev", "lo"}, a.netns_path);
  CHECK_THAT(lo.stdout_data, Contains("UP"));
  // The host side: the bridge with the gateway address, and the veth enslaved to it.
  auto bridge = run({"ip", "-o", "-4", "addr", "show", "dev", "berth0"});
  CHECK_THAT(bridge.stdout_data, Contains("172.17.0.1/16"));
  auto ports = run({"ip", "-o", "link", "show", "master", "berth0"});
  CHECK_THAT(ports.stdout_data, Contains("veth"));

  CHECK(ping(a.netns_path, "172.17.0.1"));
  CHECK(ping(a.netns_path, b.ip_address));
  CHECK(ping(b.netns_path, a.ip_address));

  EchoServer a_tcp(a.netns_path, SOCK_STREAM, 80, "c1:");
  EchoServer a_udp(a.netns_path, SOCK_DGRAM, 81, "c1/udp:");
  EchoServer b_tcp(b.netns_path, SOCK_STREAM, 80, "c2:");

  SECTION("container to container, directly") {
    CHECK_THAT(tcp_request(b.ip_address, 80, a.netns_path), Contains("c2:ping from 172.17.0.2"));
  }
  SECTION("published TCP port from the host: loopback and gateway address") {
    CHECK_THAT(tcp_request("127.0.0.1", 8080), Contains("c1:ping"));
    CHECK_THAT(tcp_request("172.17.0.1", 8080), Contains("c1:ping"));
    // 127.0.0.1-only binding: published there, not on the bridge address.
    CHECK_THAT(tcp_request("127.0.0.1", 8082), Contains("c2:ping"));
    CHECK(tcp_request("172.17.0.1", 8082).empty());
  }
  SECTION("published UDP port from the host") {
    CHECK_THAT(udp_request("127.0.0.1", 8081), Contains("c1/udp:ping"));
    CHECK_THAT(udp_request("172.17.0.1", 8081), Contains("c1/udp:ping"));
  }
  SECTION("a container reaches another's published port through the gateway (hairpin)") {
    // Masqueraded to the gateway, as docker's userland proxy would show it.
    CHECK_THAT(tcp_request("172.17.0.1", 8080, b.netns_path), Contains("c1:ping from 172.17.0.1"));
    // A container reaching its own published port.
    CHECK_THAT(tcp_request("172.17.0.1", 8080, a.netns_path), Contains("c1:ping"));
  }
  SECTION("published ports are held against other programs") {
    CHECK_FALSE(can_bind("0.0.0.0", 8080, SOCK_STREAM));
    CHECK_FALSE(can_bind("127.0.0.1", 8080, SOCK_STREAM));
    CHECK_FALSE(can_bind("0.0.0.0", 8081, SOCK_DGRAM));
    CHECK_FALSE(can_bind("127.0.0.1", 8082, SOCK_STREAM));
    CHECK(can_bind("0.0.0.0", 8083, SOCK_STREAM));
  }
  SECTION("a port another container has is a Conflict, and the failed attach leaves nothing") {
    try {
      network.attach("c3", {port(9000, 90), port(8080, 80)});
      FAIL("attach with a taken port succeeded");
    } catch (const Conflict& e) {
      CHECK(std::string(e.what()) == "Bind for 0.0.0.0:8080 failed: port is already allocated");
    }
    CHECK_THROWS_AS(network.attach("c3", {port(8082, 80, "tcp", "127.0.0.1")}), Conflict);
    CHECK_THROWS_AS(network.attach("c3", {port(8081, 80, "udp", "127.0.0.1")}), Conflict);
    CHECK(netns_files(host) == 2);
    CHECK(can_bind("0.0.0.0", 9000, SOCK_STREAM));  // the partly allocated port is free again
    // Same port number, other protocol: no conflict.
    Attachment c = network.attach("c3", {port(8080, 80, "udp")});
    CHECK(c.ip_address == "172.17.0.4");
    network.detach("c3");
  }
  SECTION("outside traffic: DNAT in prerouting, masquerade going out") {
    // A second namespace plays a machine on the host's LAN, linked by a veth pair.
    std::string outside_path = host.dir() + "/outside";
    ContainerNetns outside = create_netns(outside_path);
    Netlink netlink;
    netlink.create_veth("vout0", 0, "eth0", outside.fd.get(), {0x02, 0, 0, 0, 0, 1});
    netlink.add_address(*netlink.link_index("vout0"), 0x0a630001, 24);  // 10.99.0.1
    int eth0 = *outside.netlink.link_index("eth0");
    outside.netlink.set_link_up(eth0);
    outside.netlink.add_address(eth0, 0x0a630002, 24);  // 10.99.0.2
    EchoServer lan(outside_path, SOCK_STREAM, 7000, "lan:");

    CHECK_THAT(tcp_request("10.99.0.1", 8080, outside_path), Contains("c1:ping from 10.99.0.2"));
    CHECK_THAT(udp_request("10.99.0.1", 8081, outside_path), Contains("c1/udp:ping"));
    CHECK(tcp_request("10.99.0.1", 8082, outside_path).empty());  // 127.0.0.1 only
    CHECK_THAT(tcp_request("10.99.0.2", 7000, a.netns_path), Contains("lan:ping from 10.99.0.1"));
  }

  network.detach("c1");
  network.detach("c2");
  CHECK(netns_files(host) == 0);
  // The host ends go down at once and are deleted in the background.
  CHECK_THAT(run({"ip", "-o", "link", "show", "master", "berth0", "up"}).stdout_data,
             !Contains("veth"));
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = run({"ip", "-o", "link", "show", "master", "berth0"}).stdout_data.empty();
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(gone);
}

TEST_CASE("bridge: detach frees the address and the ports, and is idempotent", "[network]") {
  HostNetns host;
  NetworkManager network(config_for(host));
  Attachment a = network.attach("c1", {port(8080, 80), port(8081, 81, "udp")});
  Attachment b = network.attach("c2", {});
  CHECK(b.ip_address == "172.17.0.3");

  network.detach("c1");
  network.detach("c1");
  network.detach("never-attached");
  CHECK_FALSE(std::filesystem::exists(a.netns_path));
  CHECK(can_bind("0.0.0.0", 8080, SOCK_STREAM));
  CHECK(run({"nft", "list", "table", "ip", "berth"}).stdout_data.find("c-c1") == std::string::npos);

  // The freed address and ports go to the next container, and work there.
  Attachment c = network.attach("c3", {port(8080, 80), port(8081, 81, "udp")});
  CHECK(c.ip_address == "172.17.0.2");
  EchoServer tcp(c.netns_path, SOCK_STREAM, 80, "c3:");
  EchoServer udp(c.netns_path, SOCK_DGRAM, 81, "c3/udp:");
  CHECK_THAT(tcp_request("127.0.0.1", 8080), Contains("c3:ping"));
  CHECK_THAT(udp_request("127.0.0.1", 8081), Contains("c3/udp:ping"));
  network.detach("c2");
  network.detach("c3");
}

TEST_CASE("bridge: host port 0 picks a free ephemeral port and holds it", "[network]") {
  HostNetns host;
  NetworkManager network(config_for(host));
  // Someone else listens on the first port of the range: it must be skipped.
  EchoServer squatter("", SOCK_STREAM, 32768, "squatter:");
  Attachment a = network.attach("c1", {port(0, 80), port(0, 80, "udp")});
  REQUIRE(a.ports.size() == 2);
  CHECK(a.ports[0].host_port == 32769);
  CHECK(a.ports[1].host_port >= 32768);
  CHECK(a.ports[1].host_port <= 60999);
  CHECK_FALSE(can_bind("0.0.0.0", a.ports[0].host_port, SOCK_STREAM));

  EchoServer tcp(a.netns_path, SOCK_STREAM, 80, "c1:");
  CHECK_THAT(tcp_request("127.0.0.1", a.ports[0].host_port), Contains("c1:ping"));

  // A port some program holds is refused by name too.
  CHECK_THROWS_AS(network.attach("c2", {port(32768, 80)}), Conflict);
  network.detach("c1");
}

TEST_CASE("bridge: restore re-adopts running containers and drops the rest", "[network]") {
  HostNetns host;
  Attachment a, b;
  {
    NetworkManager first(config_for(host));
    a = first.attach("c1", {port(8080, 80)});
    b = first.attach("c2", {port(8090, 80)});
  }  // the engine stops; containers and kernel objects stay
  // What an engine killed inside attach() leaves without a record: a namespace, nftables rules.
  create_netns(host.netns_dir() + "/crashed");
  REQUIRE(run({"nft",
               "add chain ip berth c-crashed; add element ip berth publish "
               "{ 0.0.0.0/0 . tcp . 7777 : jump c-crashed }"})
              .status.success());

  NetworkManager second(config_for(host));
  second.restore({"c1"});
  CHECK(std::filesystem::exists(a.netns_path));
  CHECK_FALSE(std::filesystem::exists(b.netns_path));
  CHECK(netns_files(host) == 1);
  auto table = run({"nft", "list", "table", "ip", "berth"}).stdout_data;
  CHECK_THAT(table, Contains("c-c1"));
  CHECK_THAT(table, !Contains("c-c2"));
  CHECK_THAT(table, !Contains("crashed"));

  EchoServer tcp(a.netns_path, SOCK_STREAM, 80, "c1:");
  CHECK_THAT(tcp_request("127.0.0.1", 8080), Contains("c1:ping"));
  CHECK(tcp_request("127.0.0.1", 8090).empty());
  CHECK_FALSE(can_bind("0.0.0.0", 8080, SOCK_STREAM));  // held again by the new manager
  CHECK(can_bind("0.0.0.0", 8090, SOCK_STREAM));

  CHECK_THROWS_AS(second.attach("c3", {port(8080, 80)}), Conflict);
  Attachment c = second.attach("c3", {port(8090, 80)});
  CHECK(c.ip_address == b.ip_address);  // c2's address was released
  CHECK_THAT(read_file(host.state_file()), Contains("\"c3\""));
  second.detach("c1");
  second.detach("c3");
  CHECK(netns_files(host) == 0);
}

TEST_CASE("bridge: inspect_json has the fields docker inspect reads", "[network]") {
  HostNetns host;
  NetworkManager network(config_for(host));
  Attachment a = network.attach("c1", {port(8080, 80), port(8081, 80, "tcp", "127.0.0.1")});
  auto view = network.inspect_json(a);
  const auto& bridge = view["Networks"]["bridge"];
  CHECK(bridge["IPAddress"] == "172.17.0.2");
  CHECK(bridge["Gateway"] == "172.17.0.1");
  CHECK(bridge["IPPrefixLen"] == 16);
  CHECK(bridge["MacAddress"] == "02:42:ac:11:00:02");
  CHECK(bridge["NetworkID"].get<std::string>().size() == 64);
  CHECK(bridge["EndpointID"].get<std::string>().size() == 64);
  CHECK(bridge["IPAMConfig"].is_null());
  CHECK(bridge["GlobalIPv6PrefixLen"] == 0);
  CHECK(view["Ports"] ==
        nlohmann::json::parse(R"({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"},
                                             {"HostIp": "127.0.0.1", "HostPort": "8081"}]})"));
  network.detach("c1");
}

// Not part of [network]: run explicitly to measure container network setup latency. Prints the
// median of back-to-back rounds and of rounds spaced out so the background veth deletion of the
// previous round is over (as between real container starts).
TEST_CASE("bridge: attach+detach latency", "[.][network-bench]") {
  HostNetns host;
  NetworkManager network(config_for(host));
  using ms = std::chrono::duration<double, std::milli>;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  for (auto pause : {std::chrono::milliseconds(0), std::chrono::milliseconds(50)}) {
    std::vector<double> attach_ms, detach_ms;
    for (int i = 0; i < 40; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      network.attach("bench", {port(8080, 80)});
      auto t1 = std::chrono::steady_clock::now();
      network.detach("bench");
      auto t2 = std::chrono::steady_clock::now();
      attach_ms.push_back(ms(t1 - t0).count());
      detach_ms.push_back(ms(t2 - t1).count());
      std::this_thread::sleep_for(pause);
    }
    std::cout << "pause " << pause.count() << " ms: attach " << median(attach_ms) << " ms, detach "
              << median(detach_ms) << " ms (median of 40)\n";
  }
}
