#pragma once
// SshSession over libssh: the real client used by the provisioner and the generic driver.
#include <memory>

#include "machine/ssh_session.hpp"

namespace berth::machine {

struct LibsshOptions {
  // Transfer files over SFTP instead of `cat` over an exec channel. Off by default: libssh 0.10's
  // SFTP calls read their replies with no timeout at all (blocking SSH_TIMEOUT_DEFAULT), so one
  // wedged server would hang `berth machine create` past every deadline, and the berth VM image's
  // dropbear has no sftp-server anyway. The exec path honours deadlines and needs only `cat`,
  // `chmod` and `mv` on the machine. Tests turn SFTP on against servers that have it.
  bool use_sftp = false;
};

std::unique_ptr<SshSession> make_libssh_session(LibsshOptions options = {});

}  // namespace berth::machine
