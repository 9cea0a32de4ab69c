#pragma once
// What berthd and berth-shim agree on: the files in a shim's state dir and the shim.sock protocol.
//
// Launch: berthd writes <state_dir>/launch.json (the ShimLaunch fields) and spawns
// `berth-shim <state_dir>` in a new session with a pipe at fd 3. The shim forks once more (so it is
// nobody's child but init's and never a zombie of berthd), becomes a child subreaper, runs
// `<runtime> run --detach` (`create` for a TTY; for an exec it only prepares stdio: `<runtime>
// exec` runs at start), starts listening on shim.sock, and writes one line to fd 3: "ok <pid>\n" or
// "error <message>\n".
//
// shim.sock: one request per connection, a single text line; the answer is one line,
// "ok[ <payload>]\n" or "error <message>\n".
//   start                 let the process's output flow (`runtime start` for a TTY, `runtime exec`
//                         for an exec) → ok
//   attach <i> <o> <e> [<keys>]  flags 0/1 for stdin/stdout/stderr, optional detach keys in hex
//                         → ok, then the connection is a raw stream: the shim writes output (raw
//                         for a TTY, stdcopy frames 1/2 otherwise) and feeds what it reads to the
//                         process's stdin (only with open_stdin). The end of the client's input
//                         (half-close or close) closes the process's stdin for stdin_once without a
//                         TTY; otherwise it ends the session, stdin stays open. With a TTY the
//                         detach keys end the session the same way and never reach the process.
//                         The shim closes the stream after the process exited and its output
//                         drained.
//   resize <h> <w>        terminal size (TTY only) → ok
//   close_stdin           close the process's stdin once buffered input is written → ok
//   wait                  answered when the process has exited → ok <exit.json contents>
//   state                 → ok {"status":"created"|"running"|"exited","pid":N}
// After the exit the shim writes exit.json atomically, answers every waiter, closes attach streams,
// runs `runtime delete` (container init only), removes shim.sock and exits.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"
#include "engine/containers/shim_client.hpp"

namespace berth::engine::shim {

inline constexpr std::string_view kLaunchFile = "launch.json";
inline constexpr std::string_view kSocketFile = "shim.sock";
inline constexpr std::string_view kPidFile = "shim.pid";
inline constexpr std::string_view kExitFile = "exit.json";
inline constexpr std::string_view kShimLogFile = "shim.log";
inline constexpr std::string_view kRuntimeLogFile = "runtime.log";
inline constexpr std::string_view kProcessPidFile = "process.pid";
inline constexpr std::string_view kConsoleSocketFile = "console.sock";
// The readiness pipe's fd number in the shim.
inline constexpr int kReadyFd = 3;
// Longest command line the shim accepts; requests are tiny.
inline constexpr std::size_t kMaxRequestLine = 4096;

std::string state_file(const std::string& state_dir, std::string_view name);

// A unix socket address for `name` in `dir` that fits sockaddr_un (108 bytes) however long the
// directory's path is (container and exec IDs are 64 characters each): the plain path when it
// fits, else /proc/self/fd/<fd of dir>/<name>, which bind() and connect() resolve like any path.
class SocketAddress {
 public:
  SocketAddress(const std::string& dir, std::string_view name);
  const std::string& path() const { return path_; }

 private:
  UniqueFd dir_;
  std::string path_;
};

std::string launch_to_json(const ShimLaunch& launch);
// Throws InvalidArgument naming the bad field.
ShimLaunch launch_from_json(std::string_view text);

std::string exit_to_json(const ShimExit& exit);
ShimExit exit_from_json(std::string_view text);

// A request line split at spaces: {"attach", "1", "1", "0"}.
std::vector<std::string> split_request(std::string_view line);

// The last error the runtime wrote to its --log file (json lines, {"level":"error","msg":…}), or
// empty when there is none.
std::string last_runtime_error(const std::string& runtime_log_path);

}  // namespace berth::engine::shim
