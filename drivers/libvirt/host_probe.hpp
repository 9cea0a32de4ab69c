#pragma once
// Questions the libvirt driver asks about the local host, injectable so unit tests give fixed
// answers (this dev machine has /dev/kvm, CI machines may not).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace berth::drivers::libvirt {

struct HostProbe {
  // Whether QEMU can use hardware virtualization here.
  std::function<bool()> kvm_available;
  // `count` distinct TCP ports free on 127.0.0.1 right now.
  std::function<std::vector<int>(int count)> free_loopback_ports;
  // Free bytes on the file system holding `path` (or its nearest existing parent).
  std::function<std::uint64_t(const std::string& path)> free_bytes;
};

// The real answers: /dev/kvm exists; ports the kernel assigns to bind(127.0.0.1:0); statvfs.
HostProbe real_host_probe();

}  // namespace berth::drivers::libvirt
