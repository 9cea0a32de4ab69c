#pragma once
// Spawning child processes (iptables, runc-style shims, qemu-img, ssh) with exact control over what
// the child inherits. Only the fds named in SpawnOptions reach the child; everything else is
// closed, so a daemon holding sockets and lock files never leaks them into long-lived children.
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"

namespace berth {

// How a process ended, decoded from a wait status.
struct ExitStatus {
  bool exited = false;  // normal exit; `code` is valid
  int code = 0;
  bool signaled = false;  // killed by a signal; `signal` is valid
  int signal = 0;

  static ExitStatus from_wait_status(int status);
  bool success() const noexcept { return exited && code == 0; }
  // The number a shell would put in $?: the exit code, or 128 + signal.
  int shell_code() const noexcept { return signaled ? 128 + signal : code; }
  // "exit status 3" / "killed by signal 9 (Killed)", for error messages.
  std::string describe() const;
};

// What one of the child's standard streams is connected to.
struct Stdio {
  enum class Kind { Inherit, Null, Pipe, Fd };
  Kind kind = Kind::Inherit;
  int fd = -1;  // for Kind::Fd: a parent fd, which stays owned by the caller

  static Stdio inherit() { return {Kind::Inherit, -1}; }
  static Stdio null() { return {Kind::Null, -1}; }
  // The parent gets the other end from Process::stdin_pipe() / stdout_pipe() / stderr_pipe().
  static Stdio pipe() { return {Kind::Pipe, -1}; }
  static Stdio from_fd(int parent_fd) { return {Kind::Fd, parent_fd}; }
};

// Places parent fd `parent_fd` at `child_fd` in the child (e.g. {3, socket.get()}).
struct FdMapping {
  int child_fd;
  int parent_fd;
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program
  // Look argv[0] up in the parent's PATH when it has no '/'. Resolution happens in the parent, so
  // an `env` that changes PATH does not affect the search (as in Go's os/exec).
  bool search_path = false;
  // Variables set in the child. Without clear_env they are added to (and override) the parent's
  // environment; with clear_env they are the whole environment.
  std::map<std::string, std::string> env;
  bool clear_env = false;
  std::string cwd;  // empty: inherit
  Stdio stdin_io, stdout_io, stderr_io;
  std::vector<FdMapping> extra_fds;  // child fds other than 0-2
  bool new_session = false;          // setsid(): own session and process group, no controlling tty
  // Signal the child receives when the parent dies. Linux ties this to the spawning *thread*, so
  // spawn from a thread that lives as long as the child should.
  int parent_death_signal = 0;
};

// A running or finished child. Not thread-safe: one owner waits on it.
class Process {
 public:
  Process() = default;
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // Kills (SIGKILL) and reaps a still-running child unless detach() was called, so a thrown
  // exception never leaves an orphan or a zombie behind.
  ~Process();

  pid_t pid() const noexcept { return pid_; }
  // A pidfd for the child (readable once it exits) for event loops; -1 if the kernel has none.
  int pidfd() const noexcept { return pidfd_.get(); }

  ExitStatus wait();
  std::optional<ExitStatus> try_wait();
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  // No-op once the child has been reaped, so a recycled pid is never signalled.
  void kill(int sig = SIGTERM);
  // Leaves the child running when this object is destroyed; it must then be reaped elsewhere.
  void detach() noexcept { detached_ = true; }

  // Parent ends of the Stdio::pipe() streams; empty otherwise. Move them out to take ownership.
  UniqueFd& stdin_pipe() noexcept { return stdin_; }
  UniqueFd& stdout_pipe() noexcept { return stdout_; }
  UniqueFd& stderr_pipe() noexcept { return stderr_; }

 private:
  friend Process spawn(const SpawnOptions& options);
  void release_child() noexcept;

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  std::optional<ExitStatus> status_;
  bool detached_ = false;
  UniqueFd stdin_, stdout_, stderr_;
};

// Starts the child. Throws InvalidArgument for bad options and SystemError when the program cannot
// be started, with the message naming it ("exec /no/such: No such file or directory"); a failed
// exec is never reported as a child exiting 127.
Process spawn(const SpawnOptions& options);

struct CaptureResult {
  ExitStatus status;
  std::string stdout_data;
  std::string stderr_data;
};

// Runs to completion with stdin fed from `stdin_data` and both outputs captured (any stdio settings
// in `options` are replaced). At `timeout` the child is killed (its whole process group with
// new_session) and berth::Timeout is thrown naming the command.
CaptureResult run_capture(SpawnOptions options, std::string_view stdin_data = {},
                          std::optional<std::chrono::milliseconds> timeout = std::nullopt);
// Same, searching PATH for argv[0].
CaptureResult run_capture(const std::vector<std::string>& argv, std::string_view stdin_data = {},
                          std::optional<std::chrono::milliseconds> timeout = std::nullopt);

}  // namespace berth
