#include "common/endpoint.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "common/error.hpp"
#include "common/unix_socket.hpp"

namespace berth {

namespace {

uint16_t parse_port(const std::string& text, const std::string& address) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > 65535)
    throw InvalidArgument("invalid port in address " + address);
  return static_cast<uint16_t>(value);
}

struct AddrInfoFree {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};

std::unique_ptr<addrinfo, AddrInfoFree> resolve(const Endpoint& ep, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* result = nullptr;
  const std::string port = std::to_string(ep.port);
  const char* host = ep.host.empty() ? nullptr : ep.host.c_str();
  if (int rc = getaddrinfo(host, port.c_str(), &hints, &result); rc != 0)
    throw InvalidArgument("cannot resolve " + ep.to_string() + ": " + gai_strerror(rc));
  return std::unique_ptr<addrinfo, AddrInfoFree>(result);
}

}  // namespace

Endpoint Endpoint::parse(const std::string& address, uint16_t default_port) {
  Endpoint ep;
  if (address.starts_with("unix://") || address.starts_with("/")) {
    ep.kind = Kind::unix_socket;
    ep.path = address.starts_with("/") ? address : address.substr(7);
    if (ep.path.empty() || ep.path[0] != '/')
      throw InvalidArgument("unix socket address must hold an absolute path: " + address);
    return ep;
  }
  if (!address.starts_with("tcp://"))
    throw InvalidArgument("unsupported address " + address +
                          " (use unix:///path or tcp://host:port)");
  std::string rest = address.substr(6);
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    if (rest.substr(slash) != "/") throw InvalidArgument("unexpected path in address " + address);
    rest.resize(slash);
  }
  ep.kind = Kind::tcp;
  ep.port = default_port;
  if (rest.starts_with("[")) {
    const auto close = rest.find(']');
    if (close == std::string::npos) throw InvalidArgument("unclosed [ in address " + address);
    ep.host = rest.substr(1, close - 1);
    const std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') throw InvalidArgument("invalid address " + address);
      ep.port = parse_port(after.substr(1), address);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string::npos) {
    ep.host = rest.substr(0, colon);
    ep.port = parse_port(rest.substr(colon + 1), address);
  } else {
    ep.host = rest;
  }
  return ep;
}

std::string Endpoint::to_string() const {
  if (kind == Kind::unix_socket) return "unix://" + path;
  const bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

UniqueFd listen_on(const Endpoint& ep, int backlog, unsigned unix_mode) {
  if (ep.kind == Endpoint::Kind::unix_socket) return listen_unix(ep.path, backlog, unix_mode);
  auto info = resolve(ep, true);
  int last_errno = 0;
  for (addrinfo* ai = info.get(); ai; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) continue;
    const int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd.get(), backlog) == 0)
      return fd;
    last_errno = errno;
  }
  throw SystemError("cannot listen on " + ep.to_string(), last_errno ? last_errno : EADDRNOTAVAIL);
}

uint16_t bound_port(int listen_fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
    throw_errno("getsockname");
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

UniqueFd connect_to(const Endpoint& ep, Clock::duration timeout) {
  if (ep.kind == Endpoint::Kind::unix_socket) return connect_unix(ep.path, timeout);
  auto info = resolve(ep, false);
  int last_errno = EADDRNOTAVAIL;
  for (addrinfo* ai = info.get(); ai; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) continue;
    try {
      connect_with_timeout(fd.get(), ai->ai_addr, ai->ai_addrlen, timeout, ep.to_string());
      const int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    } catch (const Timeout&) {
      throw;
    } catch (const SystemError& e) {
      last_errno = e.code();
    }
  }
  throw SystemError("cannot connect to " + ep.to_string(), last_errno);
}

}  // namespace berth
