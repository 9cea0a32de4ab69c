#pragma once
// The engine's side of berth-shim. One shim per container process (the container's init, and one
// per exec) owns the process's stdio, writes its json-file log, serves attach connections and
// records its exit status. The shim outlives berthd restarts: berthd reconnects to it by its socket
// path.
//
// Life of a container start:  launch() → shim runs `runtime run --detach` (the process runs; its
// output waits in the pipes, an early exit is held back; with a TTY `runtime create`, and `runtime
// start` at start()) → the engine attaches any waiting clients (attach()) → start() → output flows
// to the log and to every attached client → the process exits → the shim writes exit.json, drains
// attached clients, deletes the container from the runtime, and exits.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/stream.hpp"

namespace berth::engine {

struct ShimLaunch {
  std::string shim_path;     // build/bin/berth-shim next to berthd
  std::string id;            // container ID (runtime container name); exec ID for execs
  std::string state_dir;     // the shim's own dir: shim.sock, shim.pid, exit.json live here
  std::string runtime_path;  // crun or runc binary
  std::string runtime_root;  // the runtime's --root
  std::string bundle;        // OCI bundle dir (config.json, rootfs) — for the container's init
  // For exec: the container ID to exec in, and the OCI process JSON file to run (`runtime exec
  // --process`). Empty for a container's init.
  std::string exec_container_id;
  std::string exec_process_file;
  bool tty = false;
  bool open_stdin = false;
  bool stdin_once = false;  // close the process's stdin when the first attached client's stdin ends
  std::string log_path;     // json-file log; empty: no log (execs)
  int64_t log_max_size = -1;  // bytes per file, -1 unlimited
  int log_max_files = 1;
  std::string log_compressor;  // compress=true: berthd, run as `berthd log-compress …`
  std::string log_attrs;       // "attrs" JSON object for every entry; "" for none
};

struct ShimExit {
  int exit_code = 0;
  std::string finished_at;  // RFC3339Nano
  bool oom_killed = false;
  std::string error;  // set when the runtime failed to start the process
};

// The bytes of a docker detach key spec ("ctrl-p,ctrl-q", "ctrl-x,x"): a single character is
// itself, ctrl-<a-z @ [ \\ ] ^ _> its control code. Throws InvalidArgument with dockerd's message.
std::string detach_key_bytes(std::string_view spec);
// Docker's detach keys when the client names none: ctrl-p, ctrl-q.
inline constexpr std::string_view kDefaultDetachKeys = "\x10\x11";
// The keys a TTY session watches: those of `spec` (an attach's detachKeys, an exec's DetachKeys),
// or docker's default when it names none.
inline std::string session_detach_keys(std::string_view spec) {
  return spec.empty() ? std::string(kDefaultDetachKeys) : detach_key_bytes(spec);
}

class ShimClient {
 public:
  // Spawns berth-shim (detached: own session, survives berthd) and returns once the process has
  // been created by the runtime (not yet started). Throws berth::Error with the runtime's message
  // ("exec: \"nosuch\": executable file not found in $PATH" and the like) when create fails.
  static ShimClient launch(const ShimLaunch& launch);
  // Reconnects to a running shim after a berthd restart; nullopt when it is gone.
  static std::optional<ShimClient> reconnect(const std::string& state_dir);

  // Opens an attach stream. Bytes written to the returned stream go to the process's stdin (when
  // `stdin`); bytes read are its output: raw for a TTY, stdcopy-framed (stream 1/2) otherwise —
  // exactly what a docker client expects on a hijacked attach. Reads end (0) after the process
  // exits and its output has drained. Ending the write side (half-close or close) closes the
  // process's stdin for stdin_once without a TTY, else it only ends the session. With a TTY,
  // `detach_keys` (bytes, see detach_key_bytes; empty: none) in the input end the session too.
  std::unique_ptr<Stream> attach(bool stdin, bool stdout, bool stderr,
                                 std::string_view detach_keys = {});
  // Starts the created process.
  void start();
  // Terminal size (TTY only).
  void resize(int height, int width);
  // Closes the process's stdin.
  void close_stdin();
  // The process's host PID (0 if not started).
  int pid() const { return pid_; }
  // Blocks until the process exits or `timeout` passes.
  std::optional<ShimExit> wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Reads exit.json if the process has exited (also after the shim itself is gone).
  static std::optional<ShimExit> read_exit(const std::string& state_dir);

  const std::string& state_dir() const { return state_dir_; }

 private:
  ShimClient(std::string state_dir, int pid) : state_dir_(std::move(state_dir)), pid_(pid) {}
  std::string state_dir_;
  int pid_ = 0;
};

}  // namespace berth::engine
