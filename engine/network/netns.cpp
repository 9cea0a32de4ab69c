#include "engine/network/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <optional>
#include <thread>

#include "common/error.hpp"

namespace berth::engine {

void remove_netns(const std::string& path) {
  // MNT_DETACH: a runtime still holding the file open must not make detach fail; the namespace
  // lives on only as long as that reference does.
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    throw_errno("unmount network namespace " + path);
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw_errno("remove network namespace file " + path);
  }
}

ContainerNetns create_netns(const std::string& path) {
  remove_netns(path);
  {
    UniqueFd file(open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!file) throw_errno("create network namespace file " + path);
  }

  std::optional<ContainerNetns> created;
  std::exception_ptr failure;
  // unshare() changes only the calling thread; doing it in a thread of its own keeps every other
  // engine thread (and this one) in the engine's namespace. The thread's namespace outlives it
  // through the bind mount, the fd and the netlink socket.
  std::thread worker([&] {
    try {
      if (unshare(CLONE_NEWNET) != 0) throw_errno("create network namespace");
      if (mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        throw_errno("bind-mount network namespace at " + path);
      }
      UniqueFd fd(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!fd) throw_errno("open network namespace " + path);
      created.emplace(ContainerNetns{std::move(fd), Netlink()});
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();

  try {
    if (failure) std::rethrow_exception(failure);
    created->netlink.set_link_up(1);  // lo is always ifindex 1 in a new namespace
  } catch (...) {
    created.reset();
    try {
      remove_netns(path);
    } catch (...) {
      // The first failure is the one worth reporting.
    }
    throw;
  }
  return std::move(*created);
}

}  // namespace berth::engine
