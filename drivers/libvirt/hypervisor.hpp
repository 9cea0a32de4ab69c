#pragma once
// The part of libvirt the libvirt driver uses, as plain C++ calls on names and XML strings. The
// real implementation (libvirt_hypervisor.hpp) calls the libvirt C API; unit tests use a
// hand-written fake. Objects are addressed by name: the driver never holds a libvirt handle across
// calls, so a reconnect, a libvirtd restart or another berth process changing things never leaves
// it with a stale one.
//
// Errors: NotFound when the named object does not exist, Conflict when it is in the wrong state,
// Timeout when the agent did not answer in time, Unavailable when libvirtd cannot be reached or the
// guest agent is not connected, Error for everything else — each with libvirt's own message.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::drivers::libvirt {

// virDomainState, minus the reasons.
enum class DomainRunState {
  NoState,
  Running,
  Blocked,
  Paused,
  ShuttingDown,
  Shutoff,
  Crashed,
  Suspended
};

// Where virDomainInterfaceAddresses gets its answer.
enum class AddressSource { Agent, Lease };

struct InterfaceAddress {
  std::string interface;  // guest name ("eth0") for the agent, host name ("vnet0") for leases
  std::string mac;        // lower case, colon separated
  std::string address;
  int prefix = 0;
  bool ipv6 = false;
};

struct DhcpLease {
  std::string mac;
  std::string address;
  std::string hostname;
  std::int64_t expiry_time = 0;  // seconds since the epoch
};

struct PoolInfo {
  std::string path;  // the directory a dir pool keeps its volumes in
  bool active = false;
  std::uint64_t available_bytes = 0;  // free space where the volumes live
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  virtual std::string uri() const = 0;

  // --- domains -----------------------------------------------------------------------------------
  // nullopt when no domain of that name is defined.
  virtual std::optional<DomainRunState> domain_state(const std::string& name) = 0;
  // The element of the domain's <metadata> in namespace `ns_uri`, or nullopt when it has none.
  virtual std::optional<std::string> domain_metadata(const std::string& name,
                                                     const std::string& ns_uri) = 0;
  virtual void define_domain(const std::string& xml) = 0;
  virtual void start_domain(const std::string& name) = 0;
  virtual void resume_domain(const std::string& name) = 0;
  // Asks the guest to power off: through the guest agent, falling back to the ACPI power button.
  // Returns at once; poll domain_state() for Shutoff.
  virtual void shutdown_domain(const std::string& name) = 0;
  virtual void destroy_domain(const std::string& name) = 0;
  // Also drops managed-save images, snapshot/checkpoint metadata and NVRAM, which would otherwise
  // make undefine fail.
  virtual void undefine_domain(const std::string& name) = 0;
  // One QEMU guest agent command (a JSON object); returns the agent's JSON reply.
  virtual std::string agent_command(const std::string& name, const std::string& command,
                                    std::chrono::seconds timeout) = 0;
  virtual std::vector<InterfaceAddress> interface_addresses(const std::string& name,
                                                            AddressSource source) = 0;

  // --- storage -----------------------------------------------------------------------------------
  virtual std::optional<PoolInfo> pool_info(const std::string& pool) = 0;
  // Defines a persistent pool that starts with libvirtd.
  virtual void define_pool(const std::string& xml) = 0;
  // Creates the pool's directory when missing and activates the pool.
  virtual void start_pool(const std::string& pool) = 0;
  // Rescans the pool so volumes deleted behind libvirt's back are forgotten.
  virtual void refresh_pool(const std::string& pool) = 0;
  virtual bool volume_exists(const std::string& pool, const std::string& volume) = 0;
  virtual std::string volume_path(const std::string& pool, const std::string& volume) = 0;
  virtual void create_volume(const std::string& pool, const std::string& xml) = 0;
  // Replaces the volume's contents with `data` (through a libvirt stream, so it works remotely).
  virtual void upload_volume(const std::string& pool, const std::string& volume,
                             std::string_view data) = 0;
  virtual void delete_volume(const std::string& pool, const std::string& volume) = 0;

  // --- networks ----------------------------------------------------------------------------------
  // nullopt when no network of that name is defined; otherwise whether it is active.
  virtual std::optional<bool> network_active(const std::string& network) = 0;
  // Defines a persistent network that starts with libvirtd.
  virtual void define_network(const std::string& xml) = 0;
  virtual void start_network(const std::string& network) = 0;
  virtual std::vector<DhcpLease> dhcp_leases(const std::string& network) = 0;
};

}  // namespace berth::drivers::libvirt
