#include "guest-agent/guest_info.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/utsname.h>

#include <bit>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/error.hpp"

namespace berth::agent {

namespace {

std::string read_trimmed(const std::string& path) {
  std::ifstream in(path);
  std::string value;
  std::getline(in, value);
  return value;
}

int prefix_length(const sockaddr* mask) {
  if (mask == nullptr) return 0;
  int bits = 0;
  if (mask->sa_family == AF_INET) {
    bits = std::popcount(reinterpret_cast<const sockaddr_in*>(mask)->sin_addr.s_addr);
  } else if (mask->sa_family == AF_INET6) {
    for (unsigned char byte : reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr.s6_addr) {
      bits += std::popcount(byte);
    }
  }
  return bits;
}

Json address_entry(const ifaddrs& entry) {
  char text[INET6_ADDRSTRLEN] = {};
  const bool v4 = entry.ifa_addr->sa_family == AF_INET;
  const void* raw =
      v4 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(entry.ifa_addr)->sin_addr)
         : static_cast<const void*>(
               &reinterpret_cast<const sockaddr_in6*>(entry.ifa_addr)->sin6_addr);
  ::inet_ntop(entry.ifa_addr->sa_family, raw, text, sizeof text);
  return {{"ip-address-type", v4 ? "ipv4" : "ipv6"},
          {"ip-address", text},
          {"prefix", prefix_length(entry.ifa_netmask)}};
}

Json statistics(const std::string& dir) {
  Json stats = Json::object();
  static const std::pair<const char*, const char*> kFiles[] = {
      {"rx-bytes", "rx_bytes"},     {"rx-packets", "rx_packets"}, {"rx-errs", "rx_errors"},
      {"rx-dropped", "rx_dropped"}, {"tx-bytes", "tx_bytes"},     {"tx-packets", "tx_packets"},
      {"tx-errs", "tx_errors"},     {"tx-dropped", "tx_dropped"}};
  for (const auto& [key, file] : kFiles) {
    const std::string value = read_trimmed(dir + "/statistics/" + file);
    if (value.empty()) continue;
    try {
      stats[key] = std::stoull(value);
    } catch (const std::exception&) {
    }
  }
  return stats;
}

}  // namespace

Json network_interfaces(const std::string& sysfs_net) {
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) throw_errno("getifaddrs");
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> list(raw, &::freeifaddrs);

  Json interfaces = Json::array();
  auto find_or_add = [&](const std::string& name) -> Json& {
    for (auto& iface : interfaces) {
      if (iface["name"] == name) return iface;
    }
    Json iface = {{"name", name}, {"ip-addresses", Json::array()}};
    const std::string dir = sysfs_net + "/" + name;
    if (const std::string mac = read_trimmed(dir + "/address"); !mac.empty()) {
      iface["hardware-address"] = mac;
    }
    if (Json stats = statistics(dir); !stats.empty()) iface["statistics"] = std::move(stats);
    interfaces.push_back(std::move(iface));
    return interfaces.back();
  };
  // getifaddrs lists every interface once as AF_PACKET (addressless ones too), then its addresses.
  for (const ifaddrs* entry = list.get(); entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_name == nullptr) continue;
    Json& iface = find_or_add(entry->ifa_name);
    if (entry->ifa_addr == nullptr) continue;
    const int family = entry->ifa_addr->sa_family;
    if (family == AF_INET || family == AF_INET6) {
      iface["ip-addresses"].push_back(address_entry(*entry));
    }
  }
  return interfaces;
}

std::string os_release_value(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) != 0) continue;
    std::string value = line.substr(key.size() + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return "";
}

Json os_info(const std::string& os_release) {
  utsname uts{};
  if (::uname(&uts) != 0) throw_errno("uname");
  Json info = {
      {"kernel-release", uts.release}, {"kernel-version", uts.version}, {"machine", uts.machine}};
  std::ifstream in(os_release);
  std::stringstream text;
  text << in.rdbuf();
  static const std::pair<const char*, const char*> kKeys[] = {{"id", "ID"},
                                                              {"name", "NAME"},
                                                              {"pretty-name", "PRETTY_NAME"},
                                                              {"version", "VERSION"},
                                                              {"version-id", "VERSION_ID"},
                                                              {"variant", "VARIANT"},
                                                              {"variant-id", "VARIANT_ID"}};
  for (const auto& [json_key, file_key] : kKeys) {
    const std::string value = os_release_value(text.str(), file_key);
    if (!value.empty()) info[json_key] = value;
  }
  return info;
}

}  // namespace berth::agent
