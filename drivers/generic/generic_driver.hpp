#pragma once
// An existing Linux host reached over SSH (Docker Machine's "generic" driver): berth does not make
// or power the host; it provisions berthd on it (machine/ssh_provisioner) and then talks to it like
// any machine. State is whether the host's SSH server answers.
#include <chrono>
#include <string>

#include "drivers/driver.hpp"

namespace berth::drivers {

struct GenericConfig {
  std::string name;
  std::string ip;                 // --generic-ip-address: an address or host name
  std::string ssh_user = "root";  // --generic-ssh-user
  std::string ssh_key;            // --generic-ssh-key: the private key; create() copies it
  int ssh_port = 22;              // --generic-ssh-port
  int engine_port = kEnginePort;  // --generic-engine-port: where berthd's TLS port is reached
  std::string machine_dir;
};

class GenericDriver : public Driver {
 public:
  explicit GenericDriver(GenericConfig config);
  // InvalidArgument for a state missing the address.
  static GenericDriver from_json(const Json& state);

  std::string driver_name() const override { return "generic"; }
  std::string machine_name() const override { return config_.name; }

  // The name, the address, the ports and a readable key file.
  void pre_create_check() override;
  // Copies the key into the machine folder (so the machine survives the user moving theirs) and
  // checks the host's SSH server answers.
  void create() override;
  void start() override;  // the host must already run: no-op when SSH answers, else says so
  void stop() override;
  void restart() override;
  void kill() override;
  void remove() override {}  // the host is the user's; forgetting it is the manager's part

  MachineState state() override;  // Running when SSH answers, Error otherwise
  void wait_ready(std::chrono::milliseconds timeout) override;

  std::string ip() override { return config_.ip; }
  std::string ssh_address() override { return config_.ip; }
  int ssh_port() override { return config_.ssh_port; }
  std::string ssh_user() const override { return config_.ssh_user; }
  std::string engine_url() override;
  // The private key berth logs in with: the copy in the machine folder once created.
  std::string ssh_key_path() const;

  Json to_json() const override;

  // How long state() waits for the SSH banner.
  std::chrono::milliseconds probe_timeout{3000};

 private:
  [[noreturn]] void unsupported(const std::string& what) const;
  std::string address() const;

  GenericConfig config_;
  std::string key_copy_;  // set by create(); empty before
};

// True when an SSH server greets ("SSH-…") on host:port within `timeout`; `why` says what failed.
bool ssh_banner_answers(const std::string& host, int port, std::chrono::milliseconds timeout,
                        std::string& why);

}  // namespace berth::drivers
