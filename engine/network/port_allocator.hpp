#pragma once
// Host ports for published container ports: validation, conflicts with other containers, picking
// free ports for -P, and holding every published port with a bound socket so that no other program
// on the host can take it while the container has it (docker-proxy's listener does the same).
#include <cstdint>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "engine/network/network_manager.hpp"

namespace berth::engine {

// Docker's default ephemeral range for -P (the kernel's ip_local_port_range default).
constexpr uint16_t kFirstEphemeralPort = 32768;
constexpr uint16_t kLastEphemeralPort = 60999;

// host_ip "" becomes "0.0.0.0"; protocol lower-case. Throws InvalidArgument for a bad protocol,
// container port 0 or a host address that is not IPv4.
PortBinding normalize_binding(const PortBinding& binding);

// Whether two bindings want the same host port: same protocol and port, and the same address or
// one of them every address.
bool bindings_conflict(const PortBinding& a, const PortBinding& b);

// A socket bound to the binding's host address and port (not listening: published traffic is
// DNATed before it could reach it). Returns an empty fd with *error set when the bind fails.
UniqueFd hold_host_port(const PortBinding& binding, int* error);

struct PortAllocation {
  std::vector<PortBinding> bindings;  // normalized, every host_port resolved
  std::vector<UniqueFd> holds;        // one per binding
};

class PortAllocator {
 public:
  // Resolves and holds `requested` against `taken` (every other container's bindings). Throws
  // Conflict("Bind for 0.0.0.0:8080 failed: port is already allocated") when another container
  // has the port, Conflict naming the error when some other program holds it, Unavailable when
  // the ephemeral range is exhausted, InvalidArgument for malformed bindings.
  PortAllocation allocate(const std::vector<PortBinding>& requested,
                          const std::vector<PortBinding>& taken);

 private:
  // Round robin through the range, as docker does: a port freed a moment ago is the last to be
  // handed out again, so stale conntrack entries and clients of the old container rarely meet
  // the new one.
  uint16_t next_ephemeral_ = kFirstEphemeralPort;
};

}  // namespace berth::engine
