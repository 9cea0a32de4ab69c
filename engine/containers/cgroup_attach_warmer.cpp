#include "engine/containers/cgroup_attach_warmer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <system_error>

#include "common/unique_fd.hpp"
#include "engine/containers/own_cgroup.hpp"

namespace berth::engine {
namespace {

using namespace std::chrono_literals;

// Shorter than a grace period (8-10 ms on these hosts, longer on idle ones), so the lock never
// goes idle between two attaches.
constexpr auto kInterval = 4ms;
// A runtime command that runs longer has met a slow path of its own. One grace period more would
// not matter then.
constexpr auto kLongest = 2s;

// The cgroup.procs of the cgroup this process is in. The cgroup v2 tree comes first; a v1
// hierarchy serves too, because one lock covers every hierarchy.
UniqueFd open_own_cgroup_procs() {
  const std::string unified = own_cgroup("").value_or("/");
  const std::string pids = own_cgroup("pids").value_or("/");
  for (const std::string& path : {"/sys/fs/cgroup" + unified, "/sys/fs/cgroup/unified" + unified,
                                  "/sys/fs/cgroup/pids" + pids}) {
    UniqueFd fd(::open((path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    // "0" names the writer itself: its process moves to where it already is.
    if (fd && ::write(fd.get(), "0", 1) == 1) return fd;
  }
  return UniqueFd();
}

}  // namespace

CgroupAttachWarmer::CgroupAttachWarmer() {
  // The first attach, the one that waits the grace period, runs on the thread: the caller goes on
  // to prepare and start the runtime meanwhile. The thread starts with every signal blocked, so
  // none meant for a thread that waits for it is ever taken by it.
  sigset_t all, old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    thread_ = std::thread([this] { warm(); });
  } catch (const std::system_error&) {
    // No thread to spare: the runtime starts as it would without this.
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

CgroupAttachWarmer::~CgroupAttachWarmer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CgroupAttachWarmer::warm() {
  UniqueFd procs = open_own_cgroup_procs();
  if (!procs) return;
  const auto until = std::chrono::steady_clock::now() + kLongest;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, kInterval, [this] { return stopping_; })) {
    if (std::chrono::steady_clock::now() > until || ::write(procs.get(), "0", 1) != 1) return;
  }
}

}  // namespace berth::engine
