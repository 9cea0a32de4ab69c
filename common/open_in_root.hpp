#pragma once
// Opening a path as seen from inside a directory, as in a chroot: "..", absolute symlinks and the
// like stay inside it (openat2 RESOLVE_IN_ROOT). How berthd reaches into a container's or a
// layer's files without ever following a link out to the host.
#include <string>

#include "common/unique_fd.hpp"

namespace berth {

// `path` ("" for the directory itself) under `root_fd`; an invalid fd (check with !fd, errno set)
// when it cannot be opened. O_CLOEXEC is always added.
UniqueFd open_in_root(int root_fd, const std::string& path, int flags);

}  // namespace berth
