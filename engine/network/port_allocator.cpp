#include "engine/network/port_allocator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "engine/network/ipam.hpp"

namespace berth::engine {
namespace {

bool every_address(const PortBinding& binding) {
  return binding.host_ip == "0.0.0.0";
}

std::string describe(const PortBinding& binding) {
  return binding.host_ip + ":" + std::to_string(binding.host_port);
}

bool conflicts_with_any(const PortBinding& binding, const std::vector<PortBinding>& others) {
  return std::any_of(others.begin(), others.end(),
                     [&](const PortBinding& other) { return bindings_conflict(binding, other); });
}

}  // namespace

PortBinding normalize_binding(const PortBinding& binding) {
  PortBinding out = binding;
  std::transform(out.protocol.begin(), out.protocol.end(), out.protocol.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.protocol.empty()) out.protocol = "tcp";
  if (out.protocol != "tcp" && out.protocol != "udp") {
    throw InvalidArgument("invalid protocol \"" + binding.protocol +
                          "\" for published port: want tcp or udp");
  }
  if (out.container_port == 0) throw InvalidArgument("invalid container port 0");
  if (out.host_ip.empty()) out.host_ip = "0.0.0.0";
  // Reformat so "127.000.0.1"-style spellings cannot dodge the conflict check.
  out.host_ip = format_ipv4(parse_ipv4(out.host_ip, "host IP for published port"));
  return out;
}

bool bindings_conflict(const PortBinding& a, const PortBinding& b) {
  return a.protocol == b.protocol && a.host_port == b.host_port &&
         (a.host_ip == b.host_ip || every_address(a) || every_address(b));
}

UniqueFd hold_host_port(const PortBinding& binding, int* error) {
  int type = binding.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd fd(socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd) {
    *error = errno;
    return {};
  }
  // No SO_REUSEADDR: with it, another program's SO_REUSEADDR bind to the same port would succeed.
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(binding.host_port);
  address.sin_addr.s_addr = htonl(parse_ipv4(binding.host_ip));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    *error = errno;
    return {};
  }
  return fd;
}

PortAllocation PortAllocator::allocate(const std::vector<PortBinding>& requested,
                                       const std::vector<PortBinding>& taken) {
  PortAllocation result;
  std::vector<PortBinding> busy = taken;
  for (const auto& raw : requested) {
    PortBinding binding = normalize_binding(raw);
    UniqueFd hold;
    if (binding.host_port != 0) {
      if (conflicts_with_any(binding, busy)) {
        throw Conflict("Bind for " + describe(binding) + " failed: port is already allocated");
      }
      int error = 0;
      hold = hold_host_port(binding, &error);
      if (!hold) {
        std::string reason = std::strerror(error);
        if (error == EADDRINUSE) {
          throw Conflict("Bind for " + describe(binding) + "/" + binding.protocol +
                         " failed: " + reason + " (another program is using it)");
        }
        throw Error("Bind for " + describe(binding) + "/" + binding.protocol +
                    " failed: " + reason);
      }
    } else {
      constexpr int kRangeSize = kLastEphemeralPort - kFirstEphemeralPort + 1;
      for (int tried = 0; tried < kRangeSize && !hold; ++tried) {
        binding.host_port = next_ephemeral_;
        next_ephemeral_ =
            next_ephemeral_ == kLastEphemeralPort ? kFirstEphemeralPort : next_ephemeral_ + 1;
        if (conflicts_with_any(binding, busy)) continue;
        int error = 0;
        hold = hold_host_port(binding, &error);
        if (!hold && error != EADDRINUSE) {
          throw Error("Bind for " + describe(binding) + "/" + binding.protocol +
                      " failed: " + std::strerror(error));
        }
      }
      if (!hold) {
        throw Unavailable("no free host port for " + binding.host_ip + " " + binding.protocol +
                          " in " + std::to_string(kFirstEphemeralPort) + "-" +
                          std::to_string(kLastEphemeralPort));
      }
    }
    busy.push_back(binding);
    result.bindings.push_back(binding);
    result.holds.push_back(std::move(hold));
  }
  return result;
}

}  // namespace berth::engine
