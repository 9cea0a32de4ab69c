#pragma once
// The contract between the machine manager and whatever provides a machine (a libvirt VM, an
// existing engine). One Driver object stands for one machine. The manager keeps the driver's state
// (to_json()) in the machine's config.json and rebuilds the driver from it (drivers/factory.hpp) on
// every command, so a driver must carry everything it needs in that JSON and nothing in memory
// only.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.hpp"

namespace berth::drivers {

// What `berth machine ls` shows. Starting: the VM runs but its guest agent does not answer yet.
enum class MachineState { Running, Stopped, Paused, Starting, Error };

std::string_view state_name(MachineState state);

// nat: a libvirt NAT network shared by all machines (they reach each other). user: QEMU user-mode
// networking with SSH and the engine port forwarded to 127.0.0.1 only, for hosts where bridges are
// not allowed; such machines cannot reach each other.
enum class NetworkMode { Nat, User };

std::string_view network_mode_name(NetworkMode mode);
// "nat" or "user"; anything else throws InvalidArgument.
NetworkMode parse_network_mode(std::string_view name);

// What the user asked for when creating the machine.
struct MachineSpec {
  std::string name;  // an RFC 1123 hostname label: it becomes the guest's hostname
  int cpus = 1;
  std::int64_t memory_mib = 1024;
  std::int64_t disk_gb = 20;
  NetworkMode network = NetworkMode::Nat;
  std::string image_dir;       // the VM image: vmlinuz, initramfs, release (build/images/vm)
  std::string machine_dir;     // the machine's own folder; the manager creates and removes it
  std::string ssh_public_key;  // one OpenSSH public key line, injected as root's authorized key
  // Optional engine configuration for the machine's /etc/berth, by path relative to it:
  // "daemon.json", "ca.pem", "server.pem", "server-key.pem". The driver hands them to the first
  // boot (the libvirt driver: cloud-init write_files in the seed), which writes them before the
  // engine first starts, so berthd listens with TLS from the start and provisioning needs no
  // restart. Applied once per machine; later changes go over SSH. Not kept in spec_to_json(): the
  // server key stays out of the machine's config.json, and nothing after create() needs them.
  std::map<std::string, std::string> engine_files;
};

Json spec_to_json(const MachineSpec& spec);
MachineSpec spec_from_json(const Json& json);

// Throws InvalidArgument unless `name` is a valid hostname label: 1-63 characters of a-z, 0-9 and
// '-', not starting or ending with '-'. Upper case is rejected rather than folded so that the
// machine name, the libvirt domain name and the guest hostname are always the same string.
void validate_machine_name(std::string_view name);

// Throws InvalidArgument unless `path` can name a file under /etc/berth: relative, '/'-separated
// parts of letters, digits, '.', '_' and '-', none of them "." or "..".
void validate_engine_file_path(std::string_view path);

// Engine port inside every machine (Docker's TLS port).
inline constexpr int kEnginePort = 2376;

class Driver {
 public:
  virtual ~Driver() = default;

  // "libvirt", "none": the key the factory uses to rebuild the driver.
  virtual std::string driver_name() const = 0;
  virtual std::string machine_name() const = 0;

  // Checks everything create() needs before anything is made, so that a bad request leaves nothing
  // behind: the name, the image, the hypervisor connection, name clashes, disk space.
  virtual void pre_create_check() = 0;
  // Makes the machine and boots it. Returns once the VM is started, not once it is ready: use
  // wait_ready(). If it throws, remove() cleans up whatever part was made.
  virtual void create() = 0;
  virtual void start() = 0;  // no-op when running; resumes a paused machine
  // Clean shutdown through the guest; forced off when the guest has not stopped within the driver's
  // stop timeout. No-op when stopped.
  virtual void stop() = 0;
  virtual void restart() = 0;
  virtual void kill() = 0;  // power off at once; no-op when stopped
  // Deletes the machine and everything the driver made for it. Idempotent; works on a machine whose
  // create() failed or crashed at any step. Leaves the machine folder itself to the manager.
  virtual void remove() = 0;

  virtual MachineState state() = 0;
  // Blocks until the machine's agent answers; throws Timeout (with the end of the boot log when
  // there is one) or Error when the machine stops while booting.
  virtual void wait_ready(std::chrono::milliseconds timeout) = 0;

  // The address the machine is reached at from this host.
  virtual std::string ip() = 0;
  virtual std::string ssh_address() = 0;
  virtual int ssh_port() = 0;
  virtual std::string ssh_user() const { return "root"; }
  // "tcp://IP:2376", or the forwarded loopback port with user-mode networking.
  virtual std::string engine_url() = 0;

  // The address the machine will have, when it is known before create() (user-mode networking:
  // always 127.0.0.1). The manager then issues the server certificate first and hands the engine's
  // configuration to the first boot (seed_engine_files), so provisioning finds nothing to change.
  virtual std::optional<std::string> ip_before_create() const { return std::nullopt; }
  // Engine files for the first boot (MachineSpec::engine_files), before create(). Returns false
  // when this driver cannot seed a boot; the provisioner then copies them over SSH.
  virtual bool seed_engine_files(std::map<std::string, std::string> files) {
    (void)files;
    return false;
  }

  // Everything needed to rebuild this driver later (see factory.hpp). Save it after create() and
  // after start()/restart(): they may change it (ports chosen, a fallback from KVM to emulation).
  virtual Json to_json() const = 0;
};

}  // namespace berth::drivers
