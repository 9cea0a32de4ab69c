#pragma once
// The little of SSH the machine manager needs, behind an interface so the provisioner's unit tests
// run against a hand-written fake (tests/unit/machine_ssh_fake.hpp) and everything else against
// libssh (machine/libssh_session.hpp). One SshSession is one connection to one machine. Every call
// takes a deadline; none blocks past it.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "machine/provisioner.hpp"

namespace berth::machine {

using SshClock = std::chrono::steady_clock;
using SshDeadline = SshClock::time_point;

// The machine presented a host key other than the one recorded when it was created: a different
// machine now answers at that address, or someone is in the middle. Never retried.
class HostKeyChanged : public Error {
 public:
  using Error::Error;
};

// SSH itself failed (connection refused, handshake, authentication). Worth retrying while a machine
// boots, unlike HostKeyChanged.
class SshError : public Error {
 public:
  using Error::Error;
};

struct SshExecResult {
  int exit_status = -1;
  std::string stdout_data;
  std::string stderr_data;
};

class SshSession {
 public:
  virtual ~SshSession() = default;
  // Connects, checks the server's host key against target.known_host_key (check_host_key) before
  // authenticating, then authenticates with target.private_key_path. Returns the host key as
  // "TYPE BASE64". Throws HostKeyChanged, SshError or Timeout.
  virtual std::string connect(const SshTarget& target, SshDeadline deadline) = 0;
  // Runs `command` through the remote shell, feeding `stdin_data` and then EOF.
  virtual SshExecResult run(const std::string& command, std::string_view stdin_data,
                            SshDeadline deadline) = 0;
  // Writes `bytes` to `remote_path` with `mode`, atomically: a temporary file next to it renamed
  // over it, so a running binary is replaced rather than rewritten ("Text file busy") and a cut
  // connection never leaves half a file. SFTP when the server offers it, else `cat` over exec.
  virtual void upload(std::string_view bytes, const std::string& remote_path, int mode,
                      SshDeadline deadline) = 0;
  virtual std::string download(const std::string& remote_path, SshDeadline deadline) = 0;
};

using SshSessionFactory = std::function<std::unique_ptr<SshSession>()>;

// Throws HostKeyChanged with a message saying what happened and what to do, when `known` is set
// and differs from `presented`. Shared by every SshSession so the message is the same everywhere.
void check_host_key(const SshTarget& target, const std::string& presented);

// Quotes `value` for a POSIX shell ('…' with embedded quotes escaped).
std::string shell_quote(std::string_view value);

// The shell command the exec fallback of upload() runs: stdin to a temporary file, mode, rename.
std::string upload_command(const std::string& remote_path, int mode);

}  // namespace berth::machine
