#pragma once
// Named network namespaces for containers, made the way `ip netns add` makes them: a new namespace
// kept alive by bind-mounting its nsfs file onto a regular file, whose path goes into the OCI spec
// (runc joins it with setns) and survives engine restarts.
#include <string>

#include "common/unique_fd.hpp"
#include "engine/network/netlink.hpp"

namespace berth::engine {

struct ContainerNetns {
  UniqueFd fd;      // the namespace itself, for moving interfaces into it
  Netlink netlink;  // a socket that acts inside it, for configuring those interfaces
};

// Creates a namespace pinned at `path` (any stale file or mount there is replaced), with its
// loopback up. The namespace is made by a short-lived thread that unshares only itself, so the
// engine's own threads never change namespace. Throws SystemError; nothing is left behind.
ContainerNetns create_netns(const std::string& path);

// Unmounts and deletes `path`; the namespace goes away once no process is in it. Missing is fine.
// Throws SystemError for anything else.
void remove_netns(const std::string& path);

}  // namespace berth::engine
