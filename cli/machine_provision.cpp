// provision, upgrade and regenerate-certs: (re)run the provisioner on running machines.
#include <CLI/CLI.hpp>

#include "cli/machine_command_env.hpp"
#include "cli/step_printer.hpp"
#include "common/error.hpp"

namespace berth::cli {

namespace {

std::string provision_one(MachineCommandEnv& env, const std::string& name, bool new_certificate,
                          const std::string& done) {
  auto machine = load_machine(env, name);
  if (!is_provisioned(machine.record)) {
    throw Unavailable("machine \"" + name +
                      "\" uses the none driver: berth does not manage its engine");
  }
  require_running(machine, "provision");
  StepPrinter steps(env.out());
  if (new_certificate) {
    steps.step(name + ": issuing a new server certificate for " + machine.driver->ip());
    issue_server_certificate(env, machine);
    save_machine(env, machine);
  }
  provision_machine(env, machine, [&](const std::string& step) { steps.step(name + ": " + step); });
  return "Machine \"" + name + "\" " + done + " (engine " + machine.record.engine_version + ").";
}

void add_provisioning(CLI::App& parent, MachineCommandEnv& env, const std::string& verb,
                      const std::string& help, const std::string& done) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = parent.add_subcommand(verb, help);
  cmd->add_option("names", *names, "Machine names (default: \"default\")");
  cmd->callback([&env, names, done] {
    auto outcomes = run_for_each_machine(names_or_default(*names), [&](const std::string& name) {
      return provision_one(env, name, false, done);
    });
    if (int code = report_outcomes(env, outcomes); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace

void add_provision_commands(CLI::App& parent, MachineCommandEnv& env) {
  add_provisioning(parent, env, "provision", "Set up the engine on machines again",
                   "was provisioned");
  // The provisioner uploads the binaries of this build whenever the machine's differ, so an upgrade
  // is a provisioning run with a newer berth.
  add_provisioning(parent, env, "upgrade", "Install this berth's engine on machines",
                   "was upgraded");

  struct RegenFlags {
    std::vector<std::string> names;
    bool client_certs = false;
    bool force = false;
  };
  auto flags = std::make_shared<RegenFlags>();
  auto* regen = parent.add_subcommand("regenerate-certs", "Issue new certificates for machines");
  regen->add_option("names", flags->names, "Machine names (default: \"default\")");
  regen->add_flag("--client-certs", flags->client_certs,
                  "Also replace the CA and the client certificate (every machine needs new "
                  "certificates afterwards)");
  regen->add_flag("-f,--force,-y", flags->force, "Do not ask for confirmation");
  regen->callback([&env, flags] {
    auto names = names_or_default(flags->names);
    for (const auto& name : names) drivers::validate_machine_name(name);
    if (!flags->force) {
      env.out() << "Regenerate TLS certificates of " << names.size()
                << " machine(s)? This restarts their engines. (y/n): " << std::flush;
      std::string answer;
      if (!std::getline(*env.ctx.in, answer) || (answer != "y" && answer != "yes")) {
        throw Error("nothing regenerated (not confirmed)");
      }
    }
    if (flags->client_certs) {
      env.store().certs().regenerate();
      env.out() << "Replaced the CA and the client certificate in " << env.store().certs().dir()
                << "\n";
    }
    auto outcomes = run_for_each_machine(names, [&](const std::string& name) {
      return provision_one(env, name, true, "has new certificates");
    });
    if (int code = report_outcomes(env, outcomes); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace berth::cli
