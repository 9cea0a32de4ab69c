#include "drivers/libvirt/host_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"

namespace berth::drivers::libvirt {

namespace {

std::vector<int> bind_free_ports(int count) {
  // All sockets stay open until every port is known, so the kernel cannot hand out one twice.
  std::vector<UniqueFd> sockets;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket for a free port");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
      throw_errno("bind 127.0.0.1:0 to find a free port");
    }
    socklen_t len = sizeof addr;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
      throw_errno("getsockname");
    }
    ports.push_back(ntohs(addr.sin_port));
    sockets.push_back(std::move(fd));
  }
  return ports;
}

std::uint64_t statvfs_free(const std::string& path) {
  std::filesystem::path p(path);
  std::error_code ec;
  while (!p.empty() && !std::filesystem::exists(p, ec) && p != p.root_path()) p = p.parent_path();
  struct statvfs st {};
  if (::statvfs(p.empty() ? "/" : p.c_str(), &st) < 0) throw_errno("statvfs " + p.string());
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

// Whether the CPU advertises hardware virtualization. Some VMs (Firecracker guests, for one) expose
// a /dev/kvm that opens and creates VMs, yet QEMU guests on it crash ("failed to set MSR") or hang:
// their CPU flags lack vmx/svm, which a host or a properly nested guest always has.
bool cpu_has_virtualization() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      if (word == "vmx" || word == "svm") return true;
    }
    return false;
  }
  return false;
}

// QEMU runs as its own user (libvirt-qemu, group kvm): a /dev/kvm only root may open is no use to
// it, and makes libvirt re-probe QEMU (a minute under emulation) on every call, because its cached
// capabilities say KVM while the device says otherwise.
bool kvm_usable() {
  struct stat st {};
  if (::stat("/dev/kvm", &st) < 0) return false;
  if (!cpu_has_virtualization()) {
    log::debug("/dev/kvm exists but the CPU flags show no vmx/svm; using software emulation");
    return false;
  }
  if ((st.st_mode & 0066) == 0) {
    log::warn(
        "/dev/kvm is accessible to root only, so QEMU cannot use it and libvirt re-probes QEMU on "
        "every call — give it to the kvm group as udev does: `chgrp kvm /dev/kvm; chmod 660 "
        "/dev/kvm`");
    return false;
  }
  return true;
}

}  // namespace

HostProbe real_host_probe() {
  HostProbe probe;
  probe.kvm_available = kvm_usable;
  probe.free_loopback_ports = bind_free_ports;
  probe.free_bytes = statvfs_free;
  return probe;
}

}  // namespace berth::drivers::libvirt
