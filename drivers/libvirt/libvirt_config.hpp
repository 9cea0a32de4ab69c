#pragma once
// Host-wide settings of the libvirt driver: which libvirtd, and the storage pool and NAT network
// that all berth machines on it share. Kept in each machine's driver state, so a machine keeps
// using the pool and network it was created in even if the defaults change later.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/json.hpp"

namespace berth::drivers::libvirt {

// An IPv4 network given as A.B.C.D/P (16 <= P <= 28): the host side of the bridge takes the first
// address, DHCP hands out the rest.
struct Subnet {
  std::uint32_t network = 0;  // host byte order, host bits zero
  int prefix = 24;

  // Throws InvalidArgument naming what is wrong (with host bits set, the network address is shown).
  static Subnet parse(std::string_view text);
  std::string to_string() const;
  std::string gateway() const;  // network + 1
  std::string netmask() const;
  std::string dhcp_first() const;  // network + 2
  std::string dhcp_last() const;   // broadcast - 1
};

struct LibvirtConfig {
  std::string uri = "qemu:///system";
  std::string pool = "berth";
  // Where the pool keeps disks, seeds and boot files. Empty: default_pool_path(uri). QEMU must be
  // able to read it, which is why machine folders (often under a 0700 home) are not used for disks.
  std::string pool_path;
  std::string network = "berth";
  std::string bridge = "berth0";
  // Chosen away from libvirt's own 192.168.122-124 and Docker's 172.17+ defaults.
  std::string subnet = "192.168.151.0/24";
  // "auto": KVM when /dev/kvm is usable, else software emulation; "kvm" or "qemu" to force one
  // (e.g. "qemu" to measure the emulated case on a host with KVM).
  std::string virt_type = "auto";
  // How long stop() waits for the guest to power off before forcing it.
  std::chrono::seconds stop_timeout{30};

  // Fills pool_path and checks the values; throws InvalidArgument.
  LibvirtConfig resolved() const;
};

// /var/lib/berth/pool for qemu:///system; $XDG_DATA_HOME/berth/pool (or ~/.local/share/berth/pool)
// for session URIs, whose QEMU runs as the user.
std::string default_pool_path(std::string_view uri);

Json config_to_json(const LibvirtConfig& config);
LibvirtConfig config_from_json(const Json& json);

// A fixed MAC in the 52:54:00 range QEMU and libvirt use, derived from the machine
// name, so that a machine keeps its DHCP lease (and its address) across restarts and re-creates.
std::string mac_for_machine(std::string_view name);

}  // namespace berth::drivers::libvirt
