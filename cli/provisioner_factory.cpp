#include "cli/provisioner_factory.hpp"

#include "machine/libssh_session.hpp"
#include "machine/ssh_provisioner.hpp"

namespace berth::cli {

std::unique_ptr<machine::Provisioner> make_default_provisioner() {
  return std::make_unique<machine::SshProvisioner>([] { return machine::make_libssh_session(); });
}

}  // namespace berth::cli
