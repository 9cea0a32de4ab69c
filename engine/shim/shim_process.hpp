#pragma once
// The shim's side of the OCI runtime: the stdio it hands the container process and the runtime
// commands that run, exec and delete it. Runtime failures are thrown as berth::Error with
// the runtime's own message (read from its --log file), which berthd passes on to the user.
#include <string>

#include "common/unique_fd.hpp"
#include "engine/containers/shim_client.hpp"

namespace berth::engine::shim {

class RuntimeProcess {
 public:
  explicit RuntimeProcess(const ShimLaunch& launch);
  ~RuntimeProcess();
  RuntimeProcess(const RuntimeProcess&) = delete;
  RuntimeProcess& operator=(const RuntimeProcess&) = delete;

  bool is_exec() const { return !launch_.exec_container_id.empty(); }

  // Pipes for a non-TTY process (stdin only with open_stdin). Made before create/exec so that
  // attach and stdin work before the process runs.
  void prepare_stdio();
  // Container init without a terminal: `runtime run --detach` (one runtime invocation instead of
  // create + start: a Go runtime's start-up less per `docker run`); its output waits in the pipes
  // until the shim is told to start (see ShimServer). With a terminal: `runtime create`, so that a
  // resize before the start reaches the process before it runs. Returns the process's host PID.
  int launch();
  // `runtime start` for a process launch() only created (with a terminal); otherwise nothing.
  void start();
  // Exec: `runtime exec --detach`; returns the PID of the running process.
  int exec();
  // Starts `runtime delete --force` for the container init once it has exited, without waiting: the
  // caller reaps the returned pid (0 when it could not be started; that is logged).
  pid_t begin_remove();
  // Whether the kernel OOM-killed a process in the container's memory cgroup (container init only;
  // read before remove(), which deletes the cgroup).
  bool oom_killed() const;

  // The shim's ends: write end of the process's stdin (or -1), read ends of stdout/stderr, or the
  // pty master for a TTY (both directions).
  UniqueFd& stdin_fd() { return stdin_w_; }
  UniqueFd& stdout_fd() { return stdout_r_; }
  UniqueFd& stderr_fd() { return stderr_r_; }
  UniqueFd& console_fd() { return console_; }

 private:
  // Runs a stdio-owning runtime command (run/exec) and waits for it; throws on failure.
  void run_runtime(const std::string& verb, std::vector<std::string> args);
  std::string file(std::string_view name) const;
  int read_pid_file() const;
  void receive_console();
  void remove_console_socket();

  ShimLaunch launch_;
  std::string cgroups_path_;
  UniqueFd stdin_w_, stdout_r_, stderr_r_, console_;
  // The process's ends, held until the runtime has passed them on.
  UniqueFd child_stdin_, child_stdout_, child_stderr_;
  UniqueFd console_listener_;
  std::string console_socket_;      // where the runtime sends the pty master
  std::string console_socket_dir_;  // a private temp dir holding it, when the state dir is too deep
};

}  // namespace berth::engine::shim
