#include "engine/network/ipam.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstdio>

#include "common/error.hpp"

namespace berth::engine {

uint32_t parse_ipv4(std::string_view text, std::string_view what) {
  std::string copy(text);
  in_addr address{};
  // inet_pton accepts only the dotted-quad form, unlike inet_aton ("10.1" would be 10.0.0.1).
  if (inet_pton(AF_INET, copy.c_str(), &address) != 1) {
    throw InvalidArgument("invalid " + std::string(what) + " \"" + copy + "\"");
  }
  return ntohl(address.s_addr);
}

std::string format_ipv4(uint32_t address) {
  char text[INET_ADDRSTRLEN];
  in_addr raw{htonl(address)};
  inet_ntop(AF_INET, &raw, text, sizeof(text));
  return text;
}

Ipv4Subnet parse_subnet(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    throw InvalidArgument("invalid subnet \"" + std::string(text) + "\": want address/prefix");
  }
  Ipv4Subnet subnet;
  subnet.network = parse_ipv4(text.substr(0, slash), "subnet");
  auto digits = text.substr(slash + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), subnet.prefix);
  if (ec != std::errc() || end != digits.data() + digits.size() || subnet.prefix < 1 ||
      subnet.prefix > 30) {
    throw InvalidArgument("invalid subnet \"" + std::string(text) + "\": prefix must be 1-30");
  }
  if ((subnet.network & ~subnet.mask()) != 0) {
    throw InvalidArgument("invalid subnet \"" + std::string(text) + "\": host bits are set");
  }
  return subnet;
}

uint32_t allocate_address(const Ipv4Subnet& subnet, uint32_t gateway,
                          const std::set<uint32_t>& used) {
  for (uint32_t candidate = subnet.network + 1; candidate < subnet.broadcast(); ++candidate) {
    if (candidate != gateway && !used.contains(candidate)) return candidate;
  }
  throw Unavailable("no available IPv4 addresses on network bridge (" +
                    format_ipv4(subnet.network) + "/" + std::to_string(subnet.prefix) + ")");
}

MacAddress mac_for_ipv4(uint32_t address) {
  return {0x02,
          0x42,
          static_cast<uint8_t>(address >> 24),
          static_cast<uint8_t>(address >> 16),
          static_cast<uint8_t>(address >> 8),
          static_cast<uint8_t>(address)};
}

std::optional<MacAddress> parse_mac(const std::string& text) {
  if (text.size() != 17) return std::nullopt;
  const char separator = text[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  MacAddress mac{};
  for (size_t i = 0; i < mac.size(); ++i) {
    const size_t at = i * 3;
    if (i > 0 && text[at - 1] != separator) return std::nullopt;
    if (!std::isxdigit(static_cast<unsigned char>(text[at])) ||
        !std::isxdigit(static_cast<unsigned char>(text[at + 1])))
      return std::nullopt;
    mac[i] = static_cast<uint8_t>(std::stoul(text.substr(at, 2), nullptr, 16));
  }
  return mac;
}

std::string format_mac(const MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return text;
}

}  // namespace berth::engine
