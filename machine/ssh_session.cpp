#include "machine/ssh_session.hpp"

#include <cstdio>

namespace berth::machine {

void check_host_key(const SshTarget& target, const std::string& presented) {
  if (target.known_host_key.empty() || target.known_host_key == presented) return;
  throw HostKeyChanged("the SSH host key of " + target.host + ":" + std::to_string(target.port) +
                       " has changed: berth recorded \"" + target.known_host_key +
                       "\" when the machine was created, but the server now presents \"" +
                       presented +
                       "\". Either a different machine answers at that address or the connection "
                       "is being intercepted; berth did not log in. If the machine was really "
                       "re-installed, remove it and create it again.");
}

std::string shell_quote(std::string_view value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += "'";
  return quoted;
}

std::string upload_command(const std::string& remote_path, int mode) {
  char octal[8];
  std::snprintf(octal, sizeof octal, "%04o", mode & 07777);
  const std::string target = shell_quote(remote_path);
  // The temp name sits in the target's folder so the rename stays on one file system; umask 077
  // keeps a key from being readable between the write and the chmod.
  const std::string tmp = shell_quote(remote_path + ".berth-upload");
  return "umask 077 && cat > " + tmp + " && chmod " + octal + " " + tmp + " && mv -f " + tmp + " " +
         target;
}

}  // namespace berth::machine
