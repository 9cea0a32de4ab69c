#pragma once
// The Provisioner (machine/provisioner.hpp) over SSH: used for libvirt machines and for the generic
// driver's existing hosts alike.
#include <functional>
#include <map>
#include <string>

#include "machine/provisioner.hpp"
#include "machine/ssh_session.hpp"

namespace berth::machine {

// Checks the engine answers GET /_ping over TLS with the client certificate in `machine_dir`
// (ca.pem, cert.pem, key.pem) and returns its version (GET /version). Retries until `deadline`,
// then throws Timeout with the last failure.
using EngineProbe = std::function<std::string(
    const std::string& engine_url, const std::string& machine_dir, SshDeadline deadline)>;

std::string probe_engine_over_tls(const std::string& engine_url, const std::string& machine_dir,
                                  SshDeadline deadline);

// The binaries a machine's engine consists of, as provisioning compares and uploads them.
inline constexpr const char* kEngineBinaries[] = {"berthd", "berth-shim", "berth-agent"};

// The answer of the machine-state command as a map: each binary name and configuration path to
// the SHA-256 the machine has ("-": missing), and "engine" to "running" or "stopped".
std::map<std::string, std::string> parse_remote_state(const std::string& text);

class SshProvisioner : public Provisioner {
 public:
  explicit SshProvisioner(SshSessionFactory sessions, EngineProbe probe = probe_engine_over_tls);

  // Throws berth::Error (or Timeout, HostKeyChanged, InvalidArgument) whose message names the step
  // that failed: "provisioning failed at \"Copying certificates\": …".
  ProvisionResult provision(const ProvisionRequest& request, const ProgressFn& progress) override;

  // How long to wait between SSH attempts while the machine boots.
  std::chrono::milliseconds retry_interval{500};

 private:
  std::unique_ptr<SshSession> wait_for_ssh(const ProvisionRequest& request, SshDeadline deadline,
                                           std::string& host_key);

  SshSessionFactory sessions_;
  EngineProbe probe_;
};

}  // namespace berth::machine
