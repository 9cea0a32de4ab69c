// berth-shim: one per container process. Usage: berth-shim STATE_DIR (reads STATE_DIR/launch.json;
// reports readiness on fd 3). See engine/shim/shim_protocol.hpp for the whole contract.
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/atomic_file.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "engine/shim/shim_protocol.hpp"
#include "engine/shim/shim_server.hpp"

namespace {

void report(int fd, const std::string& line) {
  std::string_view data(line);
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace berth;
  using namespace berth::engine;
  if (argc != 2) {
    std::fprintf(stderr, "usage: berth-shim STATE_DIR\n");
    return 2;
  }
  const std::string state_dir = argv[1];
  // Without the readiness pipe the shim still works; it just cannot tell anyone it is up.
  UniqueFd ready(::fcntl(shim::kReadyFd, F_GETFD) >= 0 ? shim::kReadyFd : -1);
  if (ready) ::fcntl(ready.get(), F_SETFD, FD_CLOEXEC);

  ShimLaunch launch;
  try {
    log::set_output_file(shim::state_file(state_dir, shim::kShimLogFile));
    launch = shim::launch_from_json(read_file(shim::state_file(state_dir, shim::kLaunchFile)));
  } catch (const std::exception& e) {
    report(ready.get(), std::string("error berth-shim: ") + e.what() + "\n");
    return 1;
  }

  // Fork once more and let the launcher reap the parent at once: the shim proper is then an
  // orphan adopted by init, so berthd never has a zombie to collect and may die or restart freely.
  pid_t child = ::fork();
  if (child < 0) {
    report(ready.get(), "error berth-shim: fork failed\n");
    return 1;
  }
  if (child > 0) ::_exit(0);

  // Orphans of the runtime (the container's init once `runtime run --detach` exits) become our
  // children, so we can wait for them and learn their exit status.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    report(ready.get(), "error berth-shim: cannot become a subreaper\n");
    return 1;
  }
  // Do not keep the launcher's working directory (possibly a mount point) busy.
  if (::chdir("/") != 0) return 1;

  try {
    shim::ShimServer server(std::move(launch));
    return server.run(std::move(ready));
  } catch (const std::exception& e) {
    log::error("shim failed", {{"error", e.what()}});
    return 1;
  }
}
