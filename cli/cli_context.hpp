#pragma once
// Everything a berth command reaches outside itself, gathered so that unit tests can swap each
// piece (streams, environment, drivers, provisioner, child processes) and drive the real command
// code.
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "machine/provisioner.hpp"

namespace berth::cli {

struct MachineModule;

// The flags of `berth machine create` that choose and configure the driver.
struct CreateOptions {
  std::string name = "default";
  std::string driver = "libvirt";
  int cpus = 1;
  std::int64_t memory_mib = 1024;
  std::int64_t disk_gb = 20;
  std::string libvirt_network = "nat";
  std::string libvirt_uri = "qemu:///system";
  std::string libvirt_virt_type = "auto";
  std::string libvirt_pool = "berth";
  std::string libvirt_pool_path;  // empty: the driver's default for the URI
  std::string generic_ip;
  std::string generic_ssh_user = "root";
  std::string generic_ssh_key;
  int generic_ssh_port = 22;
  std::string none_url;  // --url for the none driver
  machine::EngineOptions engine;
  std::vector<std::string> tls_sans;
  int timeout_seconds = 300;  // boot + provisioning
};

// Makes the driver for a new machine (create) from its options and spec.
using DriverMaker = std::function<std::unique_ptr<drivers::Driver>(const CreateOptions&,
                                                                   const drivers::MachineSpec&)>;
// Rebuilds the driver of an existing machine from config.json (drivers/factory.hpp).
using DriverLoader =
    std::function<std::unique_ptr<drivers::Driver>(const std::string& driver_name, const Json&)>;
using ProvisionerMaker = std::function<std::unique_ptr<machine::Provisioner>()>;
// Runs an interactive child (ssh, scp) with the terminal inherited; returns its exit code.
using ProcessRunner = std::function<int(const std::vector<std::string>& argv)>;
// Asks the engine at `url` for its version over TLS with the client certificates in `cert_dir`.
using EngineVersionProbe = std::function<std::string(
    const std::string& url, const std::string& cert_dir, std::chrono::milliseconds timeout)>;

struct CliContext {
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
  std::istream* in = &std::cin;
  // Environment lookups go through here so tests can set DOCKER_HOST, SHELL, NO_PROXY.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // Names -d accepts; anything else is refused before anything is made.
  std::vector<std::string> driver_names = {"libvirt", "generic", "none"};
  DriverMaker make_driver;
  DriverLoader load_driver;
  ProvisionerMaker make_provisioner;
  ProcessRunner run_process;
  EngineVersionProbe engine_version;
  // The machine manager (cli/machine_module.hpp). Unset: the executable loads its module on first
  // use; tests hand in the code linked into them.
  std::function<const MachineModule&()> machine_module;
  std::string bin_dir;    // this build's berthd, berth-shim, berth-agent
  std::string image_dir;  // the VM image (build/images/vm)

  std::optional<std::string> env(const std::string& key) const;
};

// The real thing: process streams and environment, the system ssh/scp, the binaries next to this
// executable; the drivers and the SSH provisioner come with the machine module when it loads.
CliContext default_context();

// Runs `berth ARGS…` (args without argv[0]) and returns the exit code: 0, 1 for a failed command,
// 2 for a command line error.
int run_berth(const std::vector<std::string>& args, CliContext& context);

}  // namespace berth::cli
