#include "drivers/libvirt/libvirt_hypervisor.hpp"

#include <libvirt/libvirt-qemu.h>

#include "common/error.hpp"

namespace berth::drivers::libvirt {

LibvirtHypervisor::LibvirtHypervisor(std::string uri) : uri_(std::move(uri)) {
  silence_default_error_printing();
}

void LibvirtHypervisor::throw_connect_error() {
  virErrorPtr err = virGetLastError();
  std::string detail = err && err->message ? err->message : "unknown libvirt error";
  std::string what = "cannot connect to " + uri_ + ": ";
  if (detail.find("No such file or directory") != std::string::npos ||
      detail.find("Connection refused") != std::string::npos) {
    throw Unavailable(what +
                      "libvirtd is not running — start it with `libvirtd -d` (and `virtlogd -d`) "
                      "as root, or `systemctl start libvirtd` (libvirt said: " +
                      detail + ")");
  }
  if (detail.find("Permission denied") != std::string::npos ||
      detail.find("authentication") != std::string::npos) {
    throw Unavailable(what +
                      "permission denied — run as root or add your user to the libvirt group "
                      "(`adduser $USER libvirt`, then log in again) (libvirt said: " +
                      detail + ")");
  }
  throw Unavailable(what + detail);
}

virConnectPtr LibvirtHypervisor::conn() {
  // A libvirtd restart closes our socket; reconnecting keeps long-lived callers working.
  if (conn_ && virConnectIsAlive(conn_.get()) == 1) return conn_.get();
  conn_.reset();
  conn_.reset(virConnectOpenAuth(uri_.c_str(), virConnectAuthPtrDefault, 0));
  if (!conn_) throw_connect_error();
  return conn_.get();
}

DomainPtr LibvirtHypervisor::find_domain(const std::string& name) {
  DomainPtr dom(virDomainLookupByName(conn(), name.c_str()), virDomainFree);
  if (!dom && last_error_code() != VIR_ERR_NO_DOMAIN) throw_last_error("look up domain " + name);
  return dom;
}

DomainPtr LibvirtHypervisor::domain(const std::string& name) {
  DomainPtr dom = find_domain(name);
  if (!dom) throw NotFound("libvirt domain " + name + " does not exist on " + uri_);
  return dom;
}

std::optional<DomainRunState> LibvirtHypervisor::domain_state(const std::string& name) {
  DomainPtr dom = find_domain(name);
  if (!dom) return std::nullopt;
  int state = 0;
  int reason = 0;
  if (virDomainGetState(dom.get(), &state, &reason, 0) < 0) {
    // Undefined between the lookup and this call.
    if (last_error_code() == VIR_ERR_NO_DOMAIN) return std::nullopt;
    throw_last_error("get the state of domain " + name);
  }
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return DomainRunState::Running;
    case VIR_DOMAIN_BLOCKED:
      return DomainRunState::Blocked;
    case VIR_DOMAIN_PAUSED:
      return DomainRunState::Paused;
    case VIR_DOMAIN_SHUTDOWN:
      return DomainRunState::ShuttingDown;
    case VIR_DOMAIN_SHUTOFF:
      return DomainRunState::Shutoff;
    case VIR_DOMAIN_CRASHED:
      return DomainRunState::Crashed;
    case VIR_DOMAIN_PMSUSPENDED:
      return DomainRunState::Suspended;
    default:
      return DomainRunState::NoState;
  }
}

std::optional<std::string> LibvirtHypervisor::domain_metadata(const std::string& name,
                                                              const std::string& ns_uri) {
  DomainPtr dom = domain(name);
  CString xml(virDomainGetMetadata(dom.get(), VIR_DOMAIN_METADATA_ELEMENT, ns_uri.c_str(),
                                   VIR_DOMAIN_AFFECT_CURRENT));
  if (!xml) {
    if (last_error_code() == VIR_ERR_NO_DOMAIN_METADATA) return std::nullopt;
    throw_last_error("read the metadata of domain " + name);
  }
  return std::string(xml.get());
}

void LibvirtHypervisor::define_domain(const std::string& xml) {
  // VALIDATE checks the XML against libvirt's schema, so a mistake names the bad element.
  DomainPtr dom(virDomainDefineXMLFlags(conn(), xml.c_str(), VIR_DOMAIN_DEFINE_VALIDATE),
                virDomainFree);
  if (!dom) throw_last_error("define the domain");
}

void LibvirtHypervisor::start_domain(const std::string& name) {
  DomainPtr dom = domain(name);
  if (virDomainCreate(dom.get()) < 0) throw_last_error("start domain " + name);
}

void LibvirtHypervisor::resume_domain(const std::string& name) {
  DomainPtr dom = domain(name);
  if (virDomainResume(dom.get()) < 0) throw_last_error("resume domain " + name);
}

void LibvirtHypervisor::shutdown_domain(const std::string& name) {
  // With both flags libvirt tries the agent first and presses the ACPI button if that fails.
  unsigned flags = VIR_DOMAIN_SHUTDOWN_GUEST_AGENT | VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN;
  DomainPtr dom = domain(name);
  if (virDomainShutdownFlags(dom.get(), flags) < 0) {
    throw_last_error("shut down domain " + name);
  }
}

void LibvirtHypervisor::destroy_domain(const std::string& name) {
  DomainPtr dom = domain(name);
  if (virDomainDestroy(dom.get()) < 0) throw_last_error("destroy domain " + name);
}

void LibvirtHypervisor::undefine_domain(const std::string& name) {
  unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                   VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM;
  DomainPtr dom = domain(name);
  if (virDomainUndefineFlags(dom.get(), flags) < 0) {
    throw_last_error("undefine domain " + name);
  }
}

std::string LibvirtHypervisor::agent_command(const std::string& name, const std::string& command,
                                             std::chrono::seconds timeout) {
  DomainPtr dom = domain(name);
  CString reply(
      virDomainQemuAgentCommand(dom.get(), command.c_str(), static_cast<int>(timeout.count()), 0));
  if (!reply) throw_last_error("guest agent command on " + name);
  return reply.get();
}

std::vector<InterfaceAddress> LibvirtHypervisor::interface_addresses(const std::string& name,
                                                                     AddressSource source) {
  DomainPtr dom = domain(name);
  virDomainInterfacePtr* ifaces = nullptr;
  unsigned src = source == AddressSource::Agent ? VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT
                                                : VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE;
  int count = virDomainInterfaceAddresses(dom.get(), &ifaces, src, 0);
  if (count < 0) {
    throw_last_error(std::string("get the interface addresses of ") + name + " from " +
                     (source == AddressSource::Agent ? "the guest agent" : "DHCP leases"));
  }
  // Own every element before reading any, so nothing leaks if a copy throws.
  auto free_all = [count](virDomainInterfacePtr* list) {
    for (int i = 0; i < count; ++i) virDomainInterfaceFree(list[i]);
    std::free(list);
  };
  std::unique_ptr<virDomainInterfacePtr, decltype(free_all)> owner(ifaces, free_all);
  std::vector<InterfaceAddress> out;
  for (int i = 0; i < count; ++i) {
    const virDomainInterface* iface = ifaces[i];
    for (unsigned j = 0; j < iface->naddrs; ++j) {
      const virDomainIPAddress& addr = iface->addrs[j];
      InterfaceAddress a;
      a.interface = iface->name ? iface->name : "";
      a.mac = iface->hwaddr ? iface->hwaddr : "";
      a.address = addr.addr ? addr.addr : "";
      a.prefix = static_cast<int>(addr.prefix);
      a.ipv6 = addr.type == VIR_IP_ADDR_TYPE_IPV6;
      out.push_back(std::move(a));
    }
  }
  return out;
}

}  // namespace berth::drivers::libvirt
