#include "common/subprocess.hpp"

#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "common/error.hpp"

extern char** environ;

namespace berth {
namespace {

// What the child was doing when it failed, sent to the parent over the CLOEXEC error pipe.
enum class Stage : int { Setsid, DeathSignal, Dup, Chdir, Exec };

// Bounds the child's scratch array; real callers pass a handful.
constexpr std::size_t kMaxMappedFds = 64;

struct ChildFailure {
  Stage stage;
  int err;
  int detail;  // the target fd for Stage::Dup
};

// Everything the child needs, built before fork: between fork and exec the child may only make
// async-signal-safe calls, so no allocation and no locks (another thread may have held malloc's).
struct ChildPlan {
  const char* path = nullptr;
  std::vector<char*> argv;
  std::vector<char*> envp;
  const char* cwd = nullptr;
  std::vector<int> targets;  // child fd numbers
  std::vector<int> sources;  // parent fds, parallel to targets
  int max_target = 2;
  int error_fd = -1;  // above max_target, so neither a target nor in the way of the fd shuffle
  unsigned close_limit = 0;  // highest fd to close by hand if close_range is missing
  bool new_session = false;
  int death_signal = 0;
  pid_t parent_pid = 0;
};

[[noreturn]] void child_fail(const ChildPlan& plan, Stage stage, int detail = 0) {
  ChildFailure failure{stage, errno, detail};
  // Nothing useful can be done if this write fails; the parent then sees a plain exit 127.
  [[maybe_unused]] ssize_t n = ::write(plan.error_fd, &failure, sizeof failure);
  ::_exit(127);
}

void close_fds_between(unsigned low, unsigned high, unsigned limit) {
  if (low > high) return;
  if (::close_range(low, high, 0) == 0) return;
  for (unsigned fd = low; fd <= std::min(high, limit); ++fd) ::close(static_cast<int>(fd));
}

[[noreturn]] void run_child(const ChildPlan& plan, const sigset_t& empty_mask) {
  // The parent blocked every signal around fork so no handler of its runs here; give the program
  // default dispositions (a daemon's ignored SIGPIPE must not leak) and an empty mask.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  ::sigprocmask(SIG_SETMASK, &empty_mask, nullptr);

  if (plan.new_session && ::setsid() < 0) child_fail(plan, Stage::Setsid);
  if (plan.death_signal != 0) {
    if (::prctl(PR_SET_PDEATHSIG, plan.death_signal) != 0) child_fail(plan, Stage::DeathSignal);
    // The parent may have died before prctl took effect; nobody is left to want this child.
    if (::getppid() != plan.parent_pid) ::_exit(127);
  }

  // Copy every source above all targets first, so placing one target never clobbers another's
  // source (e.g. {3 <- 4, 4 <- 3}). dup2 leaves the final fds without FD_CLOEXEC.
  int scratch[kMaxMappedFds];
  const std::size_t count = plan.targets.size();
  for (std::size_t i = 0; i < count; ++i) {
    scratch[i] = ::fcntl(plan.sources[i], F_DUPFD_CLOEXEC, plan.error_fd + 1);
    if (scratch[i] < 0) child_fail(plan, Stage::Dup, plan.targets[i]);
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (::dup2(scratch[i], plan.targets[i]) < 0) child_fail(plan, Stage::Dup, plan.targets[i]);
  }
  for (int fd = 0; fd <= plan.max_target; ++fd) {
    if (std::find(plan.targets.begin(), plan.targets.end(), fd) == plan.targets.end()) ::close(fd);
  }
  auto error_fd = static_cast<unsigned>(plan.error_fd);
  close_fds_between(static_cast<unsigned>(plan.max_target) + 1, error_fd - 1, plan.close_limit);
  close_fds_between(error_fd + 1, ~0U, plan.close_limit);

  if (plan.cwd != nullptr && ::chdir(plan.cwd) != 0) child_fail(plan, Stage::Chdir);
  ::execve(plan.path, plan.argv.data(), plan.envp.data());
  child_fail(plan, Stage::Exec);
}

struct ChildStart {
  const ChildPlan* plan;
  const sigset_t* empty_mask;
};

int child_entry(void* arg) {
  const auto* start = static_cast<const ChildStart*>(arg);
  run_child(*start->plan, *start->empty_mask);
}

// Starts run_child in a child that shares our memory until it execs (CLONE_VM | CLONE_VFORK, as
// posix_spawn does), on a stack of its own. A plain fork() copies the page tables of the whole
// engine, every page either side writes before the exec is then copied on write, and the exec
// tears the copy down again: ~1 ms of berthd's CPU in every `docker run` (perf), where berthd's
// whole part is a few ms. run_child was already written for this: no allocation, no locks, only
// syscalls; its fd table, signal dispositions, working directory and session stay its own, since
// CLONE_FILES, CLONE_SIGHAND and CLONE_FS are not set. Returns the pid, or -1 with errno set.
pid_t start_child(const ChildPlan& plan, const sigset_t& empty_mask) {
  constexpr std::size_t kStackSize = 256 * 1024;
  void* stack = ::mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  ChildStart start{&plan, &empty_mask};
  // The stack grows down on every architecture Linux runs berth on.
  const pid_t pid = ::clone(child_entry, static_cast<char*>(stack) + kStackSize,
                            CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
  const int clone_errno = errno;
  // CLONE_VFORK: by now the child has exec'd or exited, so its stack is free again.
  ::munmap(stack, kStackSize);
  errno = clone_errno;
  return pid;
}

// Finds argv[0] the way execvp would, but in the parent, so "not found" is an ordinary exception.
std::string resolve_program(const std::string& name, bool search_path) {
  if (!search_path || name.find('/') != std::string::npos) return name;
  const char* path_env = ::getenv("PATH");
  std::string_view path = path_env != nullptr && *path_env != '\0' ? path_env : "/usr/bin:/bin";
  int err = ENOENT;
  while (true) {
    auto colon = path.find(':');
    std::string dir(path.substr(0, colon));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      err = EACCES;  // keep looking, like execvp, but report this if nothing better turns up
    }
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  throw SystemError("exec " + name + " (searched PATH)", err);
}

std::string failure_message(const ChildFailure& failure, const SpawnOptions& options) {
  const std::string& program = options.argv.front();
  switch (failure.stage) {
    case Stage::Setsid:
      return "setsid for " + program;
    case Stage::DeathSignal:
      return "prctl(PR_SET_PDEATHSIG) for " + program;
    case Stage::Dup:
      return "set up fd " + std::to_string(failure.detail) + " for " + program;
    case Stage::Chdir:
      return "chdir " + options.cwd + " for " + program;
    case Stage::Exec:
      break;
  }
  return "exec " + program;
}

void check_parent_fd(int fd, const std::string& what) {
  if (fd < 0) throw InvalidArgument(what + ": invalid parent fd " + std::to_string(fd));
  if (::fcntl(fd, F_GETFD) < 0) throw_errno(what + " (parent fd " + std::to_string(fd) + ")");
}

}  // namespace

ExitStatus ExitStatus::from_wait_status(int status) {
  ExitStatus result;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.signal = WTERMSIG(status);
  }
  return result;
}

std::string ExitStatus::describe() const {
  if (signaled) {
    const char* name = ::strsignal(signal);
    return "killed by signal " + std::to_string(signal) +
           (name ? std::string(" (") + name + ")" : "");
  }
  return "exit status " + std::to_string(code);
}

Process spawn(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv.front().empty()) {
    throw InvalidArgument("spawn: empty argv");
  }
  const std::string& program = options.argv.front();
  std::string path = resolve_program(program, options.search_path);

  ChildPlan plan;
  plan.path = path.c_str();
  for (const auto& arg : options.argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);

  std::vector<std::string> env_entries;
  if (!options.clear_env) {
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      std::string_view text(*entry);
      if (!options.env.contains(std::string(text.substr(0, text.find('='))))) {
        env_entries.emplace_back(text);
      }
    }
  }
  for (const auto& [key, value] : options.env) {
    if (key.empty() || key.find('=') != std::string::npos) {
      throw InvalidArgument("spawn " + program + ": invalid environment variable name \"" + key +
                            "\"");
    }
    env_entries.push_back(key + "=" + value);
  }
  for (auto& entry : env_entries) plan.envp.push_back(entry.data());
  plan.envp.push_back(nullptr);
  if (!options.cwd.empty()) plan.cwd = options.cwd.c_str();

  // Parent-side resources: the fds below stay open until the child has exec'd (or failed to).
  UniqueFd dev_null;
  UniqueFd child_ends[3];
  UniqueFd parent_ends[3];
  const Stdio* stdio[3] = {&options.stdin_io, &options.stdout_io, &options.stderr_io};
  auto map_fd = [&plan](int target, int source) {
    plan.targets.push_back(target);
    plan.sources.push_back(source);
  };
  for (int fd = 0; fd < 3; ++fd) {
    const Stdio& io = *stdio[fd];
    switch (io.kind) {
      case Stdio::Kind::Inherit:
        // A closed parent stdio stays closed in the child rather than failing the spawn.
        if (::fcntl(fd, F_GETFD) >= 0) map_fd(fd, fd);
        break;
      case Stdio::Kind::Null:
        if (!dev_null) {
          dev_null.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
          if (!dev_null) throw_errno("open /dev/null for " + program);
        }
        map_fd(fd, dev_null.get());
        break;
      case Stdio::Kind::Pipe: {
        auto [read_end, write_end] = make_pipe(O_CLOEXEC);
        child_ends[fd] = fd == 0 ? std::move(read_end) : std::move(write_end);
        parent_ends[fd] = fd == 0 ? std::move(write_end) : std::move(read_end);
        map_fd(fd, child_ends[fd].get());
        break;
      }
      case Stdio::Kind::Fd:
        check_parent_fd(io.fd, "spawn " + program + ": stdio " + std::to_string(fd));
        map_fd(fd, io.fd);
        break;
    }
  }
  for (const auto& mapping : options.extra_fds) {
    std::string what = "spawn " + program + ": fd " + std::to_string(mapping.child_fd);
    if (mapping.child_fd < 3) throw InvalidArgument(what + ": use the stdio options for fds 0-2");
    if (std::find(plan.targets.begin(), plan.targets.end(), mapping.child_fd) !=
        plan.targets.end()) {
      throw InvalidArgument(what + " is mapped twice");
    }
    check_parent_fd(mapping.parent_fd, what);
    map_fd(mapping.child_fd, mapping.parent_fd);
  }
  if (plan.targets.size() > kMaxMappedFds) {
    throw InvalidArgument("spawn " + program + ": too many fds to pass");
  }
  plan.max_target = std::max(2, *std::max_element(plan.targets.begin(), plan.targets.end()));

  auto [error_read, error_write] = make_pipe(O_CLOEXEC);
  if (error_write.get() <= plan.max_target) {
    error_write.reset(::fcntl(error_write.get(), F_DUPFD_CLOEXEC, plan.max_target + 1));
    if (!error_write) throw_errno("spawn " + program + ": fcntl(F_DUPFD_CLOEXEC)");
  }
  plan.error_fd = error_write.get();
  struct rlimit files {};
  plan.close_limit = ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
                         ? static_cast<unsigned>(std::min<rlim_t>(files.rlim_cur, 1U << 20))
                         : 1U << 16;
  plan.new_session = options.new_session;
  plan.death_signal = options.parent_death_signal;
  plan.parent_pid = ::getpid();

  sigset_t all_signals, empty_mask, old_mask;
  ::sigfillset(&all_signals);
  ::sigemptyset(&empty_mask);
  ::pthread_sigmask(SIG_SETMASK, &all_signals, &old_mask);
  pid_t pid = start_child(plan, empty_mask);
  int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) throw_errno("fork for " + program, fork_errno);

  Process process;
  process.pid_ = pid;
  error_write.reset();
  for (auto& end : child_ends) end.reset();

  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(error_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("spawn " + program + ": read exec status");  // ~Process kills the child
  if (n > 0) {
    process.wait();
    throw SystemError(failure_message(failure, options), failure.err);
  }
  // n == 0: the pipe closed on exec. The child is ours and unreaped, so its pid cannot be reused
  // before pidfd_open runs.
  process.pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  process.stdin_ = std::move(parent_ends[0]);
  process.stdout_ = std::move(parent_ends[1]);
  process.stderr_ = std::move(parent_ends[2]);
  return process;
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      status_(other.status_),
      detached_(other.detached_),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    release_child();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    status_ = other.status_;
    detached_ = other.detached_;
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    stderr_ = std::move(other.stderr_);
  }
  return *this;
}

Process::~Process() {
  release_child();
}

void Process::release_child() noexcept {
  if (pid_ <= 0 || status_ || detached_) return;
  ::kill(pid_, SIGKILL);
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

ExitStatus Process::wait() {
  if (status_) return *status_;
  if (pid_ <= 0) throw InvalidArgument("wait: no process");
  int status;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("wait for pid " + std::to_string(pid_));
  }
  status_ = ExitStatus::from_wait_status(status);
  pidfd_.reset();
  return *status_;
}

std::optional<ExitStatus> Process::try_wait() {
  if (status_) return status_;
  if (pid_ <= 0) throw InvalidArgument("wait: no process");
  int status;
  pid_t r;
  while ((r = ::waitpid(pid_, &status, WNOHANG)) < 0) {
    if (errno != EINTR) throw_errno("wait for pid " + std::to_string(pid_));
  }
  if (r == 0) return std::nullopt;
  status_ = ExitStatus::from_wait_status(status);
  pidfd_.reset();
  return status_;
}

std::optional<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (auto status = try_wait()) return status;
    auto remaining = deadline - Clock::now();
    if (remaining <= Clock::duration::zero()) return std::nullopt;
    if (pidfd_) {
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
      pollfd pfd{pidfd_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(ms)) < 0 && errno != EINTR) throw_errno("poll pidfd");
    } else {
      // No pidfd (old kernel or seccomp): short sleeps keep the exit latency low enough.
      std::this_thread::sleep_for(
          std::min<Clock::duration>(remaining, std::chrono::milliseconds(2)));
    }
  }
}

void Process::kill(int sig) {
  if (pid_ <= 0 || status_) return;
  if (::kill(pid_, sig) != 0 && errno != ESRCH) {
    throw_errno("kill pid " + std::to_string(pid_) + " with signal " + std::to_string(sig));
  }
}

}  // namespace berth
