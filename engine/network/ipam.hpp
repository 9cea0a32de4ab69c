#pragma once
// IPv4 address management for the bridge network: parsing and formatting, picking a free address,
// and the MAC address Docker derives from it. Addresses are host byte order throughout.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "engine/network/netlink.hpp"

namespace berth::engine {

struct Ipv4Subnet {
  uint32_t network = 0;
  int prefix = 0;

  uint32_t mask() const noexcept { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint32_t broadcast() const noexcept { return network | ~mask(); }
  bool contains(uint32_t address) const noexcept { return (address & mask()) == network; }
};

// "172.17.0.2" -> 0xac110002. Throws InvalidArgument naming `what` ("invalid gateway …").
uint32_t parse_ipv4(std::string_view text, std::string_view what = "IPv4 address");
std::string format_ipv4(uint32_t address);
// "172.17.0.0/16"; host bits must be zero. Prefixes over /30 leave no room for containers.
Ipv4Subnet parse_subnet(std::string_view text);

// The lowest address of `subnet` that is not the network, the broadcast, `gateway`, or in `used`,
// as Docker's default bridge hands out .2, .3, … and reuses freed ones. Throws Unavailable when the
// subnet is full.
uint32_t allocate_address(const Ipv4Subnet& subnet, uint32_t gateway,
                          const std::set<uint32_t>& used);

// 02:42 followed by the four address bytes (02:42:ac:11:00:02 for 172.17.0.2): unique per address
// on the bridge, locally administered, and what docker inspect shows for the same address.
MacAddress mac_for_ipv4(uint32_t address);
std::string format_mac(const MacAddress& mac);
// An Ethernet address as `docker run --mac-address` takes it (six hex pairs split by ':' or '-',
// either case), or nullopt.
std::optional<MacAddress> parse_mac(const std::string& text);

}  // namespace berth::engine
