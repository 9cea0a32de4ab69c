#pragma once
// Hypervisor on the libvirt C API. Connects on first use, so building a driver for `berth machine
// ls` never fails; the first real call reports an unreachable libvirtd with what to do about it.
// One connection per object; not thread-safe (one machine command at a time uses it).
#include <libvirt/libvirt.h>

#include <string>

#include "drivers/libvirt/hypervisor.hpp"
#include "drivers/libvirt/libvirt_handles.hpp"

namespace berth::drivers::libvirt {

class LibvirtHypervisor : public Hypervisor {
 public:
  explicit LibvirtHypervisor(std::string uri);

  std::string uri() const override { return uri_; }

  std::optional<DomainRunState> domain_state(const std::string& name) override;
  std::optional<std::string> domain_metadata(const std::string& name,
                                             const std::string& ns_uri) override;
  void define_domain(const std::string& xml) override;
  void start_domain(const std::string& name) override;
  void resume_domain(const std::string& name) override;
  void shutdown_domain(const std::string& name) override;
  void destroy_domain(const std::string& name) override;
  void undefine_domain(const std::string& name) override;
  std::string agent_command(const std::string& name, const std::string& command,
                            std::chrono::seconds timeout) override;
  std::vector<InterfaceAddress> interface_addresses(const std::string& name,
                                                    AddressSource source) override;

  std::optional<PoolInfo> pool_info(const std::string& pool) override;
  void define_pool(const std::string& xml) override;
  void start_pool(const std::string& pool) override;
  void refresh_pool(const std::string& pool) override;
  bool volume_exists(const std::string& pool, const std::string& volume) override;
  std::string volume_path(const std::string& pool, const std::string& volume) override;
  void create_volume(const std::string& pool, const std::string& xml) override;
  void upload_volume(const std::string& pool, const std::string& volume,
                     std::string_view data) override;
  void delete_volume(const std::string& pool, const std::string& volume) override;

  std::optional<bool> network_active(const std::string& network) override;
  void define_network(const std::string& xml) override;
  void start_network(const std::string& network) override;
  std::vector<DhcpLease> dhcp_leases(const std::string& network) override;

 private:
  // The open connection; (re)connects when there is none or libvirtd dropped it.
  virConnectPtr conn();
  [[noreturn]] void throw_connect_error();
  // nullptr only when the object does not exist; other failures throw.
  DomainPtr find_domain(const std::string& name);
  DomainPtr domain(const std::string& name);  // throws NotFound
  PoolPtr find_pool(const std::string& pool);
  PoolPtr pool(const std::string& pool);
  VolumePtr find_volume(const std::string& pool, const std::string& volume);
  NetworkPtr find_network(const std::string& network);

  std::string uri_;
  ConnectPtr conn_{nullptr, virConnectClose};
};

}  // namespace berth::drivers::libvirt
