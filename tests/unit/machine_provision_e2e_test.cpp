// The generic driver and the real SSH provisioner against a freshly booted berth VM, treated as an
// existing host. Hidden from the unit run: tests/e2e/machine_provision_generic.sh boots the VM and
// runs `berth_unit_tests "[.machine_provision_e2e]"` with:
//   BERTH_PROV_E2E_SSH_PORT    the VM's SSH port forwarded to 127.0.0.1
//   BERTH_PROV_E2E_ENGINE_PORT the VM's engine port forwarded to 127.0.0.1
//   BERTH_PROV_E2E_KEY         the private key injected into the VM
//   BERTH_PROV_E2E_MACHINE_DIR ca.pem, server.pem, server-key.pem, cert.pem, key.pem
//   BERTH_PROV_E2E_BIN_DIR     berthd, berth-shim, berth-agent of this build
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "drivers/generic/generic_driver.hpp"
#include "machine/libssh_session.hpp"
#include "machine/ssh_provisioner.hpp"

using namespace berth;
using namespace berth::machine;

namespace {
std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value) FAIL(std::string(name) + " is not set: run tests/e2e/machine_provision_generic.sh");
  return value;
}
}  // namespace

TEST_CASE("generic driver + SSH provisioner bring up TLS on a berth VM",
          "[.machine_provision_e2e]") {
  // As the berth CLI does: QEMU's user-mode forwarder accepts and then resets connections while
  // berthd restarts, and a write to a reset TLS connection must be an error, not a SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  drivers::GenericConfig config;
  config.name = "generic-e2e";
  config.ip = "127.0.0.1";
  config.ssh_key = env("BERTH_PROV_E2E_KEY");
  config.ssh_port = std::stoi(env("BERTH_PROV_E2E_SSH_PORT"));
  config.engine_port = std::stoi(env("BERTH_PROV_E2E_ENGINE_PORT"));
  drivers::GenericDriver driver(config);
  driver.pre_create_check();
  driver.wait_ready(std::chrono::seconds(60));
  REQUIRE(driver.state() == drivers::MachineState::Running);

  ProvisionRequest request;
  request.ssh.host = driver.ssh_address();
  request.ssh.port = driver.ssh_port();
  request.ssh.user = driver.ssh_user();
  request.ssh.private_key_path = driver.ssh_key_path();
  request.engine_url = driver.engine_url();
  request.machine_dir = env("BERTH_PROV_E2E_MACHINE_DIR");
  request.bin_dir = env("BERTH_PROV_E2E_BIN_DIR");
  request.timeout = std::chrono::seconds(120);

  SshProvisioner provisioner([] { return make_libssh_session(); });
  std::vector<std::string> steps;
  const auto began = SshClock::now();
  auto progress = [&](const std::string& s) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(SshClock::now() - began);
    std::cout << "  [" << ms.count() / 1000.0 << " s] " << s << std::endl;
    steps.push_back(s);
  };
  const auto first = provisioner.provision(request, progress);
  CHECK_THAT(first.ssh_host_key, Catch::StartsWith("ssh-ed25519 "));
  CHECK_FALSE(first.os_name.empty());
  CHECK_FALSE(first.engine_version.empty());
  std::cout
      << "provisioned " << first.os_name << ", engine " << first.engine_version << " in "
      << std::chrono::duration_cast<std::chrono::milliseconds>(SshClock::now() - began).count()
      << " ms" << std::endl;

  // Again, with the recorded key (what `berth machine provision` does later): still answers.
  request.ssh.known_host_key = first.ssh_host_key;
  const auto second = provisioner.provision(request, {});
  CHECK(second.engine_version == first.engine_version);

  // A changed key is refused with the explanation.
  request.ssh.known_host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAnotherMachine";
  CHECK_THROWS_AS(provisioner.provision(request, {}), HostKeyChanged);
}
