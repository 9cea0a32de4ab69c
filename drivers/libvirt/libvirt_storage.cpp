// Storage pools, volumes and networks of LibvirtHypervisor.
#include <algorithm>
#include <chrono>
#include <string_view>
#include <thread>

#include "common/error.hpp"
#include "common/log.hpp"
#include "drivers/libvirt/libvirt_hypervisor.hpp"

namespace berth::drivers::libvirt {

namespace {

// The text of <path> in a pool's XML: enough to locate a dir pool without an XML parser.
std::string pool_target_path(const std::string& xml) {
  auto begin = xml.find("<path>");
  auto end = xml.find("</path>");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return "";
  return xml.substr(begin + 6, end - begin - 6);
}

}  // namespace

PoolPtr LibvirtHypervisor::find_pool(const std::string& name) {
  PoolPtr p(virStoragePoolLookupByName(conn(), name.c_str()), virStoragePoolFree);
  if (!p && last_error_code() != VIR_ERR_NO_STORAGE_POOL) {
    throw_last_error("look up storage pool " + name);
  }
  return p;
}

PoolPtr LibvirtHypervisor::pool(const std::string& name) {
  PoolPtr p = find_pool(name);
  if (!p) throw NotFound("storage pool " + name + " does not exist");
  return p;
}

VolumePtr LibvirtHypervisor::find_volume(const std::string& pool_name, const std::string& volume) {
  PoolPtr p = pool(pool_name);
  VolumePtr v(virStorageVolLookupByName(p.get(), volume.c_str()), virStorageVolFree);
  if (!v && last_error_code() != VIR_ERR_NO_STORAGE_VOL) {
    throw_last_error("look up volume " + volume + " in pool " + pool_name);
  }
  return v;
}

std::optional<PoolInfo> LibvirtHypervisor::pool_info(const std::string& name) {
  PoolPtr p = find_pool(name);
  if (!p) return std::nullopt;
  PoolInfo info;
  CString xml(virStoragePoolGetXMLDesc(p.get(), 0));
  if (!xml) throw_last_error("read storage pool " + name);
  info.path = pool_target_path(xml.get());
  int active = virStoragePoolIsActive(p.get());
  if (active < 0) throw_last_error("read the state of storage pool " + name);
  info.active = active == 1;
  if (info.active) {
    virStoragePoolInfo raw{};
    if (virStoragePoolGetInfo(p.get(), &raw) < 0) throw_last_error("read storage pool " + name);
    info.available_bytes = raw.available;
  }
  return info;
}

void LibvirtHypervisor::define_pool(const std::string& xml) {
  PoolPtr p(virStoragePoolDefineXML(conn(), xml.c_str(), 0), virStoragePoolFree);
  if (!p) throw_last_error("define the storage pool");
  if (virStoragePoolSetAutostart(p.get(), 1) < 0) throw_last_error("autostart the storage pool");
}

void LibvirtHypervisor::start_pool(const std::string& name) {
  PoolPtr p = pool(name);
  if (virStoragePoolCreate(p.get(), VIR_STORAGE_POOL_CREATE_WITH_BUILD) < 0) {
    throw_last_error("start storage pool " + name);
  }
}

// libvirt refuses to rescan a pool while a volume is being uploaded into it ("has asynchronous jobs
// running"): another `berth machine create` copying its boot files. That create keeps the pool
// active and up to date, so after waiting a little the rescan is skipped rather than failing a
// create (or rm) that merely ran at the same moment.
void LibvirtHypervisor::refresh_pool(const std::string& name) {
  PoolPtr p = pool(name);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (virStoragePoolRefresh(p.get(), 0) < 0) {
    virErrorPtr error = virGetLastError();
    const bool busy =
        error != nullptr && error->message != nullptr &&
        std::string_view(error->message).find("asynchronous jobs") != std::string_view::npos;
    if (!busy) throw_last_error("refresh storage pool " + name);
    if (std::chrono::steady_clock::now() >= give_up) {
      log::warn("storage pool busy with another upload; using it without a rescan",
                {{"pool", name}});
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool LibvirtHypervisor::volume_exists(const std::string& pool_name, const std::string& volume) {
  return find_volume(pool_name, volume) != nullptr;
}

std::string LibvirtHypervisor::volume_path(const std::string& pool_name,
                                           const std::string& volume) {
  VolumePtr v = find_volume(pool_name, volume);
  if (!v) throw NotFound("volume " + volume + " does not exist in storage pool " + pool_name);
  CString path(virStorageVolGetPath(v.get()));
  if (!path) throw_last_error("get the path of volume " + volume);
  return path.get();
}

void LibvirtHypervisor::create_volume(const std::string& pool_name, const std::string& xml) {
  PoolPtr p = pool(pool_name);
  VolumePtr v(virStorageVolCreateXML(p.get(), xml.c_str(), 0), virStorageVolFree);
  if (!v) throw_last_error("create a volume in pool " + pool_name);
}

void LibvirtHypervisor::upload_volume(const std::string& pool_name, const std::string& volume,
                                      std::string_view data) {
  VolumePtr v = find_volume(pool_name, volume);
  if (!v) throw NotFound("volume " + volume + " does not exist in storage pool " + pool_name);
  StreamPtr stream(virStreamNew(conn(), 0), virStreamFree);
  if (!stream) throw_last_error("open a stream to upload " + volume);
  if (virStorageVolUpload(v.get(), stream.get(), 0, data.size(), 0) < 0) {
    throw_last_error("upload volume " + volume);
  }
  constexpr std::size_t kChunk = 256 * 1024;
  std::size_t offset = 0;
  while (offset < data.size()) {
    std::size_t n = std::min(kChunk, data.size() - offset);
    int sent = virStreamSend(stream.get(), data.data() + offset, n);
    if (sent < 0) {
      // virStreamAbort resets the thread's last error; keep the one that explains the failure.
      std::unique_ptr<virError, decltype(&virFreeError)> saved(virSaveLastError(), virFreeError);
      virStreamAbort(stream.get());
      throw_error(saved.get(), "upload volume " + volume);
    }
    offset += static_cast<std::size_t>(sent);
  }
  if (virStreamFinish(stream.get()) < 0) throw_last_error("finish uploading volume " + volume);
}

void LibvirtHypervisor::delete_volume(const std::string& pool_name, const std::string& volume) {
  VolumePtr v = find_volume(pool_name, volume);
  if (!v) throw NotFound("volume " + volume + " does not exist in storage pool " + pool_name);
  if (virStorageVolDelete(v.get(), 0) < 0) throw_last_error("delete volume " + volume);
}

NetworkPtr LibvirtHypervisor::find_network(const std::string& name) {
  NetworkPtr n(virNetworkLookupByName(conn(), name.c_str()), virNetworkFree);
  if (!n && last_error_code() != VIR_ERR_NO_NETWORK) throw_last_error("look up network " + name);
  return n;
}

std::optional<bool> LibvirtHypervisor::network_active(const std::string& name) {
  NetworkPtr n = find_network(name);
  if (!n) return std::nullopt;
  int active = virNetworkIsActive(n.get());
  if (active < 0) throw_last_error("read the state of network " + name);
  return active == 1;
}

void LibvirtHypervisor::define_network(const std::string& xml) {
  NetworkPtr n(virNetworkDefineXML(conn(), xml.c_str()), virNetworkFree);
  if (!n) throw_last_error("define the network");
  if (virNetworkSetAutostart(n.get(), 1) < 0) throw_last_error("autostart the network");
}

void LibvirtHypervisor::start_network(const std::string& name) {
  NetworkPtr n = find_network(name);
  if (!n) throw NotFound("libvirt network " + name + " does not exist");
  if (virNetworkCreate(n.get()) < 0) throw_last_error("start network " + name);
}

std::vector<DhcpLease> LibvirtHypervisor::dhcp_leases(const std::string& name) {
  NetworkPtr n = find_network(name);
  if (!n) throw NotFound("libvirt network " + name + " does not exist");
  virNetworkDHCPLeasePtr* leases = nullptr;
  int count = virNetworkGetDHCPLeases(n.get(), nullptr, &leases, 0);
  if (count < 0) throw_last_error("read the DHCP leases of network " + name);
  auto free_all = [count](virNetworkDHCPLeasePtr* list) {
    for (int i = 0; i < count; ++i) virNetworkDHCPLeaseFree(list[i]);
    std::free(list);
  };
  std::unique_ptr<virNetworkDHCPLeasePtr, decltype(free_all)> owner(leases, free_all);
  std::vector<DhcpLease> out;
  for (int i = 0; i < count; ++i) {
    DhcpLease lease;
    lease.mac = leases[i]->mac ? leases[i]->mac : "";
    lease.address = leases[i]->ipaddr ? leases[i]->ipaddr : "";
    lease.hostname = leases[i]->hostname ? leases[i]->hostname : "";
    lease.expiry_time = leases[i]->expirytime;
    out.push_back(std::move(lease));
  }
  return out;
}

}  // namespace berth::drivers::libvirt
