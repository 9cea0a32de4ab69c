// The machine manager's side of cli/machine_module.hpp: registration and hooks over the machine
// commands, drivers/factory.hpp and the SSH provisioner.
#include "cli/machine_module.hpp"

#include <CLI/CLI.hpp>

#include "cli/engine_version_probe.hpp"
#include "cli/machine_command_env.hpp"
#include "cli/provisioner_factory.hpp"
#include "common/error.hpp"
#include "drivers/factory.hpp"
#include "drivers/generic/generic_driver.hpp"
#include "drivers/libvirt/libvirt_driver.hpp"
#include "drivers/none/none_driver.hpp"

namespace berth::cli {

namespace {

std::unique_ptr<drivers::Driver> make_real_driver(const CreateOptions& options,
                                                  const drivers::MachineSpec& spec) {
  if (options.driver == "libvirt") {
    drivers::libvirt::LibvirtConfig config;
    config.uri = options.libvirt_uri;
    config.virt_type = options.libvirt_virt_type;
    config.pool = options.libvirt_pool;
    config.pool_path = options.libvirt_pool_path;
    return std::make_unique<drivers::libvirt::LibvirtDriver>(spec, config, nullptr);
  }
  if (options.driver == "none") {
    return std::make_unique<drivers::NoneDriver>(spec.name, options.none_url);
  }
  if (options.driver == "generic") {
    drivers::GenericConfig config;
    config.name = spec.name;
    config.ip = options.generic_ip;
    config.ssh_user = options.generic_ssh_user;
    config.ssh_key = options.generic_ssh_key;
    config.ssh_port = options.generic_ssh_port;
    config.machine_dir = spec.machine_dir;
    return std::make_unique<drivers::GenericDriver>(config);
  }
  throw InvalidArgument("unknown driver \"" + options.driver + "\"");
}

void add_commands(CLI::App& app, MachineCommandEnv& env) {
  auto* machine = app.add_subcommand("machine", "Create and manage machines");
  machine->require_subcommand(1);
  // Lets `--storage-path` follow any subcommand (`berth machine ls -s DIR`), as docker-machine's
  // global flags do: unknown options fall through to the parent that defines them.
  machine->fallthrough();
  machine->add_option("-s,--storage-path", env.storage_flag,
                      "Machine store (default: $BERTH_STORAGE_PATH or ~/.berth)");
  add_create_command(*machine, env);
  add_lifecycle_commands(*machine, env);
  add_ls_command(*machine, env);
  add_info_commands(*machine, env);
  add_ssh_commands(*machine, env);
  add_provision_commands(*machine, env);
}

void fill_context(CliContext& context) {
  if (!context.make_driver) context.make_driver = make_real_driver;
  if (!context.load_driver) {
    context.load_driver = [](const std::string& name, const Json& state) {
      return drivers::load_driver(name, state);
    };
  }
  if (!context.make_provisioner) context.make_provisioner = make_default_provisioner;
  if (!context.engine_version) context.engine_version = query_engine_version;
}

MachineEndpoint endpoint_of(const MachineCommandEnv& env, const std::string& name) {
  auto machine = load_machine(env, name);
  return {machine.driver->engine_url(), machine.dir};
}

}  // namespace

const MachineModule& linked_machine_module() {
  static const MachineModule module{add_commands, fill_context, endpoint_of};
  return module;
}

}  // namespace berth::cli
