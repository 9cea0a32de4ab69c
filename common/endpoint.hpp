#pragma once
// Addresses of berth listeners and the engines clients talk to, written as docker writes them:
// unix:///run/berth/berth.sock, tcp://10.0.0.5:2376, tcp://[::1]:2376.
#include <cstdint>
#include <string>

#include "common/stream.hpp"
#include "common/unique_fd.hpp"

namespace berth {

struct Endpoint {
  enum class Kind { unix_socket, tcp };
  Kind kind = Kind::unix_socket;
  std::string path;  // unix socket path
  std::string host;  // tcp host name or address (no brackets)
  uint16_t port = 0;

  // Parses "unix:///path", "/path", "tcp://host:port", "tcp://[v6]:port". `default_port` applies
  // when a tcp address names no port. Throws InvalidArgument naming the address.
  static Endpoint parse(const std::string& address, uint16_t default_port = 2375);
  std::string to_string() const;
};

// Creates a listening socket. A unix socket left behind by a dead process is replaced; one that a
// live process still answers on is refused ("address in use"). Unix sockets get `unix_mode`
// permissions.
UniqueFd listen_on(const Endpoint& endpoint, int backlog = 512, unsigned unix_mode = 0660);

// The TCP port a listening socket is bound to (for port 0 listeners in tests).
uint16_t bound_port(int listen_fd);

// Connects within `timeout`; throws Timeout or SystemError naming the endpoint.
UniqueFd connect_to(const Endpoint& endpoint, Clock::duration timeout);

}  // namespace berth
