#pragma once
// Unix stream sockets: listening and connecting, each bounded in time. Kept apart from endpoint.hpp
// (which adds TCP and name resolution) so that berth-shim, linked statically, needs no resolver.
#include <sys/socket.h>

#include <chrono>
#include <string>

#include "common/unique_fd.hpp"

namespace berth {

// Listens on `path` with `mode` permissions, creating its directory. A socket file left behind by a
// dead process is replaced; one that a live process still answers on is refused (Conflict).
UniqueFd listen_unix(const std::string& path, int backlog, unsigned mode);

// Connects within `timeout`; throws Timeout or SystemError naming the path.
UniqueFd connect_unix(const std::string& path, std::chrono::steady_clock::duration timeout);

// connect(2) on a fresh socket, bounded by `timeout` (then back to blocking mode). `what` names the
// peer in errors. Throws Timeout or SystemError.
void connect_with_timeout(int fd, const sockaddr* addr, socklen_t len,
                          std::chrono::steady_clock::duration timeout, const std::string& what);

}  // namespace berth
