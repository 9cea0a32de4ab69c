// `berth machine create`: pre-create check → record → driver create → wait for the agent → server
// certificate for the machine's IP → provisioning → save. A failure removes what was made, so the
// same command can simply be run again.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>

#include "cli/machine_command_env.hpp"
#include "cli/step_printer.hpp"
#include "common/error.hpp"
#include "common/time_format.hpp"
#include "machine/ssh_engine_config.hpp"
#include "machine/ssh_key.hpp"

namespace berth::cli {

namespace {

void create_machine(MachineCommandEnv& env, const CreateOptions& options) {
  drivers::validate_machine_name(options.name);
  const auto& known = env.ctx.driver_names;
  if (std::find(known.begin(), known.end(), options.driver) == known.end()) {
    std::string list;
    for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
    throw InvalidArgument("unknown driver \"" + options.driver + "\": use one of " + list +
                          " (libvirt: a VM on this host; generic: an existing Linux host over "
                          "SSH; none: an engine URL you already run)");
  }
  if (options.driver == "none" && options.none_url.empty()) {
    throw InvalidArgument("the none driver needs --url tcp://HOST:PORT of the engine to record");
  }
  auto store = env.store();
  if (store.exists(options.name)) {
    throw Conflict("machine \"" + options.name + "\" already exists — pick another name, or " +
                   "remove it first with `berth machine rm " + options.name + "`");
  }

  StepPrinter steps(env.out());
  const bool provisioned = options.driver != "none";
  drivers::MachineSpec spec;
  spec.name = options.name;
  spec.cpus = options.cpus;
  spec.memory_mib = options.memory_mib;
  spec.disk_gb = options.disk_gb;
  spec.network = drivers::parse_network_mode(options.libvirt_network);
  spec.image_dir = env.ctx.image_dir;
  spec.machine_dir = store.machine_dir(options.name);

  LoadedMachine machine;
  machine.dir = spec.machine_dir;
  machine.record.name = options.name;
  machine.record.driver_name = options.driver;
  machine.record.engine = options.engine;
  machine.record.tls_sans = options.tls_sans;
  machine.record.created = rfc3339_nano(std::chrono::system_clock::now());

  steps.step("Checking the host for machine \"" + options.name + "\" (driver " + options.driver +
             ")");
  bool dir_made = false;
  try {
    // The folder is created before the driver is even built: the driver writes into it.
    store.create_machine_dir(options.name);
    dir_made = true;
    steps.step("Creating certificates and an SSH key");
    store.certs().ensure();
    if (provisioned) {
      auto key = machine::ensure_ssh_key(store.ssh_key_path(options.name),
                                         "berth-machine-" + options.name);
      spec.ssh_public_key = key.public_key;
    }
    machine.driver = env.ctx.make_driver(options, spec);
    machine.driver->pre_create_check();
    // Recorded before the driver makes anything, so `rm` finds a machine whose create crashed.
    save_machine(env, machine);
    if (provisioned && machine.driver->ip_before_create()) {
      // The address is known already: the first boot can carry the engine's certificates and
      // configuration, and the engine starts with TLS without a restart.
      steps.step("Issuing the server certificate for " + *machine.driver->ip_before_create());
      issue_server_certificate(env, machine);
      machine.driver->seed_engine_files(
          machine::first_boot_engine_files(machine.dir, machine.record.engine));
      save_machine(env, machine);
    }

    steps.step("Creating the machine");
    machine.driver->create();
    save_machine(env, machine);

    if (provisioned) {
      steps.step("Waiting for the machine to boot");
      machine.driver->wait_ready(std::chrono::seconds(options.timeout_seconds));
      save_machine(env, machine);
      if (machine.record.ip != machine.driver->ip()) {
        steps.step("Issuing the server certificate for " + machine.driver->ip());
        issue_server_certificate(env, machine);
        save_machine(env, machine);
      }
      provision_machine(env, machine, [&](const std::string& step) { steps.step(step); });
    } else {
      store.certs().copy_client_certificates(machine.dir);
      machine.record.ip = machine.driver->ip();
      save_machine(env, machine);
    }
  } catch (const std::exception& e) {
    std::string cleanup = "removed what it had made";
    try {
      if (machine.driver) machine.driver->remove();
      if (dir_made) store.remove_machine_dir(options.name);
    } catch (const std::exception& cleanup_error) {
      cleanup = std::string("could not remove everything (") + cleanup_error.what() +
                ") — run `berth machine rm -f " + options.name + "`";
    }
    throw Error("creating machine \"" + options.name + "\" failed after " +
                steps.elapsed_text().substr(steps.elapsed_text().find_first_not_of(' ')) + ": " +
                e.what() + "\nberth " + cleanup + "; fix the cause above and run the same " +
                "`berth machine create` again");
  }
  steps.step("Machine \"" + options.name + "\" is running at " + machine.driver->engine_url());
  env.out() << "To point docker and berth at it, run: eval $(berth machine env " << options.name
            << ")\n";
}

}  // namespace

void add_create_command(CLI::App& parent, MachineCommandEnv& env) {
  auto options = std::make_shared<CreateOptions>();
  auto* cmd = parent.add_subcommand("create", "Create a machine");
  cmd->add_option("name", options->name, "Machine name (default: \"default\")");
  cmd->add_option("-d,--driver", options->driver, "Driver: libvirt, generic or none")
      ->capture_default_str();
  cmd->add_option("--cpus", options->cpus, "Virtual CPUs")->check(CLI::Range(1, 64));
  cmd->add_option("--memory", options->memory_mib, "Memory in MiB")->check(CLI::Range(64, 1 << 20));
  cmd->add_option("--disk-size", options->disk_gb, "Data disk in GB")->check(CLI::Range(1, 4096));
  cmd->add_option("--libvirt-network", options->libvirt_network,
                  "nat (machines reach each other) or user (ports forwarded to 127.0.0.1)")
      ->check(CLI::IsMember({"nat", "user"}));
  cmd->add_option("--libvirt-uri", options->libvirt_uri, "libvirt connection URI");
  cmd->add_option("--libvirt-virt-type", options->libvirt_virt_type, "auto, kvm or qemu")
      ->check(CLI::IsMember({"auto", "kvm", "qemu"}));
  cmd->add_option("--libvirt-pool", options->libvirt_pool, "libvirt storage pool for the disks");
  cmd->add_option("--libvirt-pool-path", options->libvirt_pool_path,
                  "Folder of that pool when berth creates it");
  cmd->add_option("--generic-ip-address", options->generic_ip, "Address of the existing host");
  cmd->add_option("--generic-ssh-user", options->generic_ssh_user, "SSH user on the host");
  cmd->add_option("--generic-ssh-key", options->generic_ssh_key, "Private key for the host");
  cmd->add_option("--generic-ssh-port", options->generic_ssh_port, "SSH port of the host")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--url", options->none_url, "Engine URL for the none driver (tcp://HOST:PORT)");
  cmd->add_option("--engine-opt", options->engine.opts, "daemon.json key=value")
      ->allow_extra_args(false);
  cmd->add_option("--engine-label", options->engine.labels, "Engine label key=value")
      ->allow_extra_args(false);
  cmd->add_option("--engine-insecure-registry", options->engine.insecure_registries,
                  "Registry reachable without TLS (host:port)")
      ->allow_extra_args(false);
  cmd->add_option("--engine-registry-mirror", options->engine.registry_mirrors,
                  "Registry mirror URL")
      ->allow_extra_args(false);
  cmd->add_option("--engine-env", options->engine.env, "Engine environment KEY=value")
      ->allow_extra_args(false);
  cmd->add_option("--tls-san", options->tls_sans, "Extra name or IP for the server certificate")
      ->allow_extra_args(false);
  cmd->add_option("--timeout", options->timeout_seconds, "Seconds to wait for boot")
      ->check(CLI::Range(1, 3600));
  cmd->callback([&env, options] { create_machine(env, *options); });
}

}  // namespace berth::cli
