#include "common/unix_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.hpp"

namespace berth {
namespace {

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    throw InvalidArgument("unix socket path is empty or too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

void connect_with_timeout(int fd, const sockaddr* addr, socklen_t len,
                          std::chrono::steady_clock::duration timeout, const std::string& what) {
  const int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd, addr, len) < 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) throw_errno("cannot connect to " + what);
    pollfd p{fd, POLLOUT, 0};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
    int n;
    do n = ::poll(&p, 1, static_cast<int>(ms));
    while (n < 0 && errno == EINTR);
    if (n == 0) throw Timeout("timed out connecting to " + what);
    int err = 0;
    socklen_t err_len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) throw_errno("cannot connect to " + what, err);
  }
  ::fcntl(fd, F_SETFL, flags);
}

UniqueFd listen_unix(const std::string& path, int backlog, unsigned mode) {
  const sockaddr_un addr = unix_address(path);
  const std::string name = "unix://" + path;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket(AF_UNIX)");
  // A socket file nobody answers on is stale (a crashed daemon): replace it. A live one is not
  // ours.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    throw Conflict("another process is already listening on " + name);
  if (errno == ECONNREFUSED) ::unlink(path.c_str());
  fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket(AF_UNIX)");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0)
    throw_errno("cannot bind " + name);
  ::chmod(path.c_str(), mode);
  if (::listen(fd.get(), backlog) < 0) throw_errno("cannot listen on " + name);
  return fd;
}

UniqueFd connect_unix(const std::string& path, std::chrono::steady_clock::duration timeout) {
  const sockaddr_un addr = unix_address(path);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket(AF_UNIX)");
  connect_with_timeout(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr, timeout,
                       "unix://" + path);
  return fd;
}

}  // namespace berth
