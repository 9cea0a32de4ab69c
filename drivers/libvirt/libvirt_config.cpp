#include "drivers/libvirt/libvirt_config.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>

#include "common/error.hpp"

namespace berth::drivers::libvirt {

namespace {

std::string ipv4_string(std::uint32_t host_order) {
  in_addr addr{htonl(host_order)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr, buf, sizeof buf);
  return buf;
}

std::uint32_t host_mask(int prefix) {
  return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}

}  // namespace

Subnet Subnet::parse(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid machine network subnet \"" + std::string(text) + "\": " + why +
                           " — give an IPv4 network such as 192.168.151.0/24");
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos) throw bad("it has no /PREFIX");
  std::string address(text.substr(0, slash));
  std::string prefix_text(text.substr(slash + 1));
  in_addr addr{};
  if (inet_pton(AF_INET, address.c_str(), &addr) != 1) throw bad("not an IPv4 address");
  if (prefix_text.empty() || prefix_text.size() > 2 ||
      prefix_text.find_first_not_of("0123456789") != std::string::npos) {
    throw bad("the prefix is not a number");
  }
  Subnet subnet;
  subnet.prefix = std::atoi(prefix_text.c_str());
  if (subnet.prefix < 16 || subnet.prefix > 28) throw bad("the prefix must be from 16 to 28");
  std::uint32_t value = ntohl(addr.s_addr);
  subnet.network = value & host_mask(subnet.prefix);
  if (subnet.network != value) {
    throw bad("host bits are set; the network address is " + ipv4_string(subnet.network) + "/" +
              prefix_text);
  }
  return subnet;
}

std::string Subnet::to_string() const {
  return ipv4_string(network) + "/" + std::to_string(prefix);
}
std::string Subnet::gateway() const {
  return ipv4_string(network + 1);
}
std::string Subnet::netmask() const {
  return ipv4_string(host_mask(prefix));
}
std::string Subnet::dhcp_first() const {
  return ipv4_string(network + 2);
}
std::string Subnet::dhcp_last() const {
  return ipv4_string((network | ~host_mask(prefix)) - 1);
}

std::string default_pool_path(std::string_view uri) {
  if (uri.find("/session") == std::string_view::npos) return "/var/lib/berth/pool";
  if (const char* data = std::getenv("XDG_DATA_HOME"); data && *data) {
    return std::string(data) + "/berth/pool";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.local/share/berth/pool";
}

LibvirtConfig LibvirtConfig::resolved() const {
  LibvirtConfig out = *this;
  if (out.uri.empty()) throw InvalidArgument("the libvirt URI is empty — use e.g. qemu:///system");
  if (out.pool_path.empty()) out.pool_path = default_pool_path(out.uri);
  if (out.pool_path.front() != '/') {
    throw InvalidArgument("the storage pool path \"" + out.pool_path + "\" must be absolute");
  }
  if (out.pool.empty() || out.network.empty()) {
    throw InvalidArgument("the libvirt storage pool and network names must not be empty");
  }
  // Linux interface names are at most 15 bytes.
  if (out.bridge.empty() || out.bridge.size() > 15) {
    throw InvalidArgument("the bridge name \"" + out.bridge + "\" must be 1 to 15 characters");
  }
  Subnet::parse(out.subnet);
  if (out.virt_type != "auto" && out.virt_type != "kvm" && out.virt_type != "qemu") {
    throw InvalidArgument("unknown virtualization type \"" + out.virt_type +
                          "\": use auto, kvm or qemu");
  }
  if (out.stop_timeout.count() < 0) throw InvalidArgument("the stop timeout must not be negative");
  return out;
}

Json config_to_json(const LibvirtConfig& config) {
  return Json{{"uri", config.uri},
              {"pool", config.pool},
              {"pool_path", config.pool_path},
              {"network", config.network},
              {"bridge", config.bridge},
              {"subnet", config.subnet},
              {"virt_type", config.virt_type},
              {"stop_timeout_s", config.stop_timeout.count()}};
}

LibvirtConfig config_from_json(const Json& json) {
  LibvirtConfig defaults;
  LibvirtConfig config;
  config.uri = get_string(json, "uri", defaults.uri);
  config.pool = get_string(json, "pool", defaults.pool);
  config.pool_path = get_string(json, "pool_path");
  config.network = get_string(json, "network", defaults.network);
  config.bridge = get_string(json, "bridge", defaults.bridge);
  config.subnet = get_string(json, "subnet", defaults.subnet);
  config.virt_type = get_string(json, "virt_type", defaults.virt_type);
  config.stop_timeout =
      std::chrono::seconds(get_int64(json, "stop_timeout_s", defaults.stop_timeout.count()));
  return config;
}

std::string mac_for_machine(std::string_view name) {
  // FNV-1a: stable across builds and platforms, unlike std::hash.
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char buf[18];
  std::snprintf(buf, sizeof buf, "52:54:00:%02x:%02x:%02x",
                static_cast<unsigned>(hash >> 16) & 0xff, static_cast<unsigned>(hash >> 8) & 0xff,
                static_cast<unsigned>(hash) & 0xff);
  return buf;
}

}  // namespace berth::drivers::libvirt
