#pragma once
// Facts about the guest in the shapes qemu-ga reports them, which libvirt parses field by field.
#include <string>

#include "common/json.hpp"

namespace berth::agent {

// guest-network-get-interfaces: [{"name", "hardware-address", "ip-addresses": [{"ip-address-type":
// "ipv4"|"ipv6", "ip-address", "prefix"}], "statistics": {...}}], every interface, lo included.
Json network_interfaces(const std::string& sysfs_net = "/sys/class/net");

// guest-get-osinfo: kernel-release, kernel-version, machine from uname; id, name, pretty-name,
// version, version-id from an os-release file.
Json os_info(const std::string& os_release = "/etc/os-release");

// The value of KEY in os-release text (KEY=value, KEY="value"), or "".
std::string os_release_value(const std::string& text, const std::string& key);

}  // namespace berth::agent
