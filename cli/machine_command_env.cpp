#include "cli/machine_command_env.hpp"

#include "common/error.hpp"
#include "drivers/driver.hpp"
#include "drivers/generic/generic_driver.hpp"
#include "machine/cert_store.hpp"

namespace berth::cli {

LoadedMachine load_machine(const MachineCommandEnv& env, const std::string& name) {
  auto store = env.store();
  LoadedMachine machine;
  machine.record = store.load(name);
  machine.dir = store.machine_dir(name);
  machine.driver = env.ctx.load_driver(machine.record.driver_name, machine.record.driver_state);
  return machine;
}

void save_machine(const MachineCommandEnv& env, LoadedMachine& machine) {
  machine.record.driver_state = machine.driver->to_json();
  env.store().save(machine.record);
}

std::vector<std::string> names_or_default(const std::vector<std::string>& names) {
  if (names.empty()) return {kDefaultMachine};
  return names;
}

int report_outcomes(const MachineCommandEnv& env, const std::vector<MachineOutcome>& outcomes) {
  int code = 0;
  for (const auto& outcome : outcomes) {
    if (outcome.ok) {
      if (!outcome.message.empty()) env.out() << outcome.message << "\n";
    } else {
      env.err() << "error: " << outcome.message << "\n";
      code = 1;
    }
  }
  return code;
}

bool is_provisioned(const machine::MachineRecord& record) {
  return record.driver_name != "none";
}

std::string machine_ssh_key(const MachineCommandEnv& env, const LoadedMachine& machine) {
  if (auto* generic = dynamic_cast<const drivers::GenericDriver*>(machine.driver.get())) {
    return generic->ssh_key_path();
  }
  return env.store().ssh_key_path(machine.record.name);
}

void require_running(LoadedMachine& machine, const std::string& action) {
  auto state = machine.driver->state();
  if (state != drivers::MachineState::Running) {
    const auto& name = machine.record.name;
    throw Conflict("cannot " + action + " machine \"" + name + "\": it is " +
                   std::string(drivers::state_name(state)) + ", not Running — start it with " +
                   "`berth machine start " + name + "`");
  }
}

void issue_server_certificate(const MachineCommandEnv& env, LoadedMachine& machine) {
  auto ip = machine.driver->ip();
  env.store().certs().issue_machine_certificates(machine.dir, machine.record.name, ip,
                                                 machine.record.tls_sans);
  machine.record.ip = ip;
}

void provision_machine(const MachineCommandEnv& env, LoadedMachine& machine,
                       const machine::ProgressFn& progress) {
  machine::ProvisionRequest request;
  request.ssh.host = machine.driver->ssh_address();
  request.ssh.port = machine.driver->ssh_port();
  request.ssh.user = machine.driver->ssh_user();
  request.ssh.private_key_path = machine_ssh_key(env, machine);
  request.ssh.known_host_key = machine.record.ssh_host_key;
  request.engine_url = machine.driver->engine_url();
  request.machine_dir = machine.dir;
  request.bin_dir = env.ctx.bin_dir;
  request.engine = machine.record.engine;
  auto provisioner = env.ctx.make_provisioner();
  auto result = provisioner->provision(request, progress);
  machine.record.ssh_host_key = result.ssh_host_key;
  machine.record.os_name = result.os_name;
  machine.record.engine_version = result.engine_version;
  save_machine(env, machine);
}

std::string refresh_if_address_changed(const MachineCommandEnv& env, LoadedMachine& machine) {
  if (!is_provisioned(machine.record)) return "";
  auto ip = machine.driver->ip();
  if (ip == machine.record.ip) return "";
  std::string note = "Machine \"" + machine.record.name + "\" changed its address from " +
                     (machine.record.ip.empty() ? "(unknown)" : machine.record.ip) + " to " + ip +
                     ": issued a new server certificate and re-provisioned the engine.";
  issue_server_certificate(env, machine);
  save_machine(env, machine);
  provision_machine(env, machine, [](const std::string&) {});
  return note;
}

}  // namespace berth::cli
