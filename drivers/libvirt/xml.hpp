#pragma once
// The libvirt XML documents the driver defines: the machine's domain, the shared storage pool and
// NAT network, and the volumes. Pure functions of their inputs, so unit tests check them directly.
#include <cstdint>
#include <string>
#include <string_view>

#include "drivers/driver.hpp"
#include "drivers/libvirt/libvirt_config.hpp"

namespace berth::drivers::libvirt {

// Marks domains berth made; remove() never touches a domain without it.
inline constexpr std::string_view kMetadataNamespace = "https://berth.dev/xmlns/libvirt-machine/1";

std::string xml_escape(std::string_view text);

struct DomainParams {
  std::string name;
  bool kvm = false;  // hardware virtualization; otherwise QEMU's software emulation (TCG)
  int cpus = 1;
  std::int64_t memory_mib = 1024;
  std::string kernel_path;
  std::string initrd_path;
  std::string cmdline;
  std::string pool;
  std::string data_volume;  // qcow2, the guest's /dev/vda with serial berth-data
  std::string seed_volume;  // ISO9660 "cidata", read-only, serial berth-seed
  std::string console_log;  // file on the host that receives the serial console (via virtlogd)
  NetworkMode network = NetworkMode::Nat;
  std::string network_name;  // nat
  std::string mac;           // nat
  int ssh_port = 0;          // user: 127.0.0.1 port forwarded to the guest's 22
  int engine_port = 0;       // user: 127.0.0.1 port forwarded to the guest's 2376
};

std::string domain_xml(const DomainParams& params);

// A dir pool, created by libvirt (0711 so QEMU can reach its volumes by name but not list them).
std::string pool_xml(const std::string& name, const std::string& path);

// format: "qcow2" or "raw". Volumes are 0600: libvirt hands them to QEMU's user when a domain
// starts.
std::string volume_xml(const std::string& name, std::uint64_t capacity_bytes,
                       std::string_view format);

// A NAT network with DHCP over the whole subnet (minus the gateway).
std::string network_xml(const std::string& name, const std::string& bridge, const Subnet& subnet);

}  // namespace berth::drivers::libvirt
