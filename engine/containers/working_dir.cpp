#include "engine/containers/working_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
#include "common/open_in_root.hpp"
#include "common/unique_fd.hpp"

namespace berth::engine {

void ensure_working_dir(const std::string& rootfs, const std::string& dir) {
  const UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open the container's root filesystem " + rootfs);
  std::string done;  // the part of `dir` that exists, relative to the root
  size_t start = 0;
  while (start <= dir.size()) {
    const size_t slash = dir.find('/', start);
    const std::string part = dir.substr(start, slash == std::string::npos ? slash : slash - start);
    start = slash == std::string::npos ? dir.size() + 1 : slash + 1;
    if (part.empty() || part == ".") continue;
    const std::string next = done.empty() ? part : done + "/" + part;
    UniqueFd fd = open_in_root(root.get(), next, O_PATH);
    if (!fd) {
      if (errno != ENOENT) throw_errno("open /" + next + " in the container");
      const UniqueFd parent = open_in_root(root.get(), done, O_PATH | O_DIRECTORY);
      if (!parent) throw_errno("open /" + done + " in the container");
      if (::mkdirat(parent.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
        throw_errno("mkdir /" + next + " in the container");
      ::fchmodat(parent.get(), part.c_str(), 0755, 0);  // not narrowed by berthd's umask
      fd = open_in_root(root.get(), next, O_PATH);
      if (!fd) throw_errno("open /" + next + " in the container");
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat /" + next + " in the container");
    if (!S_ISDIR(st.st_mode))
      throw InvalidArgument("Cannot mkdir: /" + next + " is not a directory");
    done = next;
  }
}

}  // namespace berth::engine
