#pragma once
// Sets up berthd on a machine over SSH: the contract between the machine manager (cli/ create,
// provision, upgrade, regenerate-certs, start after an address change) and the provisioner.
//
// provision(): wait for SSH; check the host key (record it on first contact, refuse a changed one
// with a message saying what happened); detect the OS (/etc/os-release); upload berthd, berth-shim
// and berth-agent of this build when the machine's differ (by SHA-256; over `cat` on an exec
// channel, or SFTP where enabled: machine/libssh_session.hpp); upload the CA and the server
// certificate and key; write the engine configuration (/etc/berth/daemon.json: the unix socket plus
// tcp://0.0.0.0:2376 with TLS verification, labels, insecure registries, registry mirrors, extra
// options; --engine-env goes to /etc/berth/engine.env); (re)start the engine through the guest
// agent (berthd is stopped over SSH and the agent's supervisor starts it again on the new files; a
// new agent binary restarts the agent); verify /_ping over TLS with the client certificate. Every
// step is safe to repeat.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace berth::machine {

// The --engine-* options of `berth machine create`.
struct EngineOptions {
  std::vector<std::string> opts;                 // --engine-opt key=value (daemon.json keys)
  std::vector<std::string> labels;               // --engine-label key=value
  std::vector<std::string> insecure_registries;  // --engine-insecure-registry host:port
  std::vector<std::string> registry_mirrors;     // --engine-registry-mirror URL
  std::vector<std::string> env;                  // --engine-env KEY=value
};

struct SshTarget {
  std::string host;
  int port = 22;
  std::string user = "root";
  std::string private_key_path;  // OpenSSH private key (the machine's id_ed25519)
  // The host key recorded at creation ("ssh-ed25519 AAAA…"); empty: accept and record this one.
  std::string known_host_key;
};

struct ProvisionRequest {
  SshTarget ssh;
  // Where the engine answers from this host once provisioned: "tcp://IP:2376" (or the forwarded
  // loopback port with user-mode networking).
  std::string engine_url;
  // PEM files in the machine's folder: ca.pem, server.pem, server-key.pem go to the machine;
  // ca.pem, cert.pem, key.pem are the client's, used to verify the engine over TLS.
  std::string machine_dir;
  // The directory holding this build's berthd, berth-shim and berth-agent.
  std::string bin_dir;
  EngineOptions engine;
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
};

struct ProvisionResult {
  std::string ssh_host_key;    // as recorded ("ssh-ed25519 AAAA…")
  std::string os_name;         // PRETTY_NAME from /etc/os-release
  std::string engine_version;  // from GET /version over TLS
};

// Reports each step as it starts ("Waiting for SSH", "Copying certificates", …) for create's
// output.
using ProgressFn = std::function<void(const std::string& step)>;

class Provisioner {
 public:
  virtual ~Provisioner() = default;
  virtual ProvisionResult provision(const ProvisionRequest& request,
                                    const ProgressFn& progress) = 0;
};

}  // namespace berth::machine
