#pragma once
// Each machine gets its own SSH key pair: the public half is injected into the VM (cloud-init seed)
// and the private half is what the provisioner, `berth machine ssh` and `scp` log in with.
#include <string>

namespace berth::machine {

struct SshKeyPair {
  std::string private_key_path;  // OpenSSH format, mode 0600
  std::string public_key_path;   // private_key_path + ".pub"
  std::string public_key;        // the one line of the .pub file, without the newline
};

// Writes an ed25519 key pair to `private_key_path` (and `.pub`) with ssh-keygen, no passphrase.
// An existing pair at that path is reused, so a repeated create step does not change the key the
// VM already trusts. `comment` ends up in the public key line (e.g. "berth-machine-dev").
// Throws Error naming the path when ssh-keygen fails or does not answer within 10 s.
SshKeyPair ensure_ssh_key(const std::string& private_key_path, const std::string& comment);

}  // namespace berth::machine
