#include "common/open_in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace berth {

UniqueFd open_in_root(int root_fd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string relative = path.empty() ? "." : path;
  for (int attempt = 0;; ++attempt) {
    const int fd =
        static_cast<int>(::syscall(SYS_openat2, root_fd, relative.c_str(), &how, sizeof how));
    // EAGAIN: a concurrent rename raced the lookup; the kernel asks for a retry.
    if (fd >= 0 || errno != EAGAIN || attempt > 16) return UniqueFd(fd);
  }
}

}  // namespace berth
