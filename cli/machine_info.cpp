// Read-only commands: env, ip, url, status, inspect, config, active, version.
#include <CLI/CLI.hpp>

#include "cli/client/go_template.hpp"
#include "cli/machine_command_env.hpp"
#include "common/error.hpp"
#include "machine/cert_store.hpp"
#include "machine/env_render.hpp"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

namespace berth::cli {

namespace {

std::string one_name(const std::string& name) {
  return name.empty() ? kDefaultMachine : name;
}

void print_env(MachineCommandEnv& env, const std::string& name_arg, const std::string& shell,
               bool unset, bool no_proxy) {
  machine::EnvRequest request;
  request.shell =
      shell.empty()
          ? machine::detect_shell(env.ctx.env("SHELL") ? env.ctx.env("SHELL")->c_str() : nullptr)
          : machine::parse_shell(shell);
  request.unset = unset;
  request.no_proxy = no_proxy;
  std::string command = "berth machine env";
  if (!shell.empty()) command += " --shell " + shell;
  if (unset) {
    // Unsetting needs no machine, as with docker-machine: it only clears variables.
    command += " --unset";
  } else {
    const auto name = one_name(name_arg);
    auto machine = load_machine(env, name);
    if (machine.record.driver_name != "none") require_running(machine, "point docker at");
    request.machine_name = name;
    request.docker_host = machine.driver->engine_url();
    request.cert_path = machine.dir;
    request.machine_ip = machine.driver->ip();
    request.current_no_proxy =
        env.ctx.env("NO_PROXY").value_or(env.ctx.env("no_proxy").value_or(""));
    if (no_proxy) command += " --no-proxy";
    command += " " + name;
  }
  request.command_line = command;
  env.out() << machine::render_env(request);
}

Json inspect_json(MachineCommandEnv& env, LoadedMachine& machine) {
  const auto& r = machine.record;
  Json engine = machine::engine_options_to_json(r.engine);
  engine["version"] = r.engine_version;
  return Json{{"Name", r.name},
              {"DriverName", r.driver_name},
              {"Driver", r.driver_state},
              {"StorePath", machine.dir},
              {"Created", r.created},
              {"IPAddress", r.ip},
              {"OS", r.os_name},
              {"SSHHostKey", r.ssh_host_key},
              {"SSHKeyPath", env.store().ssh_key_path(r.name)},
              {"EngineOptions", engine},
              {"TLSSANs", r.tls_sans},
              {"CertPath", machine.dir}};
}

void add_single(CLI::App& parent, MachineCommandEnv& env, const std::string& verb,
                const std::string& help,
                std::function<std::string(MachineCommandEnv&, LoadedMachine&)> action) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = parent.add_subcommand(verb, help);
  cmd->add_option("names", *names, "Machine names (default: \"default\")");
  cmd->callback([&env, names, action] {
    auto outcomes = run_for_each_machine(names_or_default(*names), [&](const std::string& name) {
      auto machine = load_machine(env, name);
      return action(env, machine);
    });
    if (int code = report_outcomes(env, outcomes); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace

void add_info_commands(CLI::App& parent, MachineCommandEnv& env) {
  struct EnvFlags {
    std::string name;
    std::string shell;
    bool unset = false;
    bool no_proxy = false;
  };
  auto env_flags = std::make_shared<EnvFlags>();
  auto* env_cmd = parent.add_subcommand("env", "Print the commands that point docker at a machine");
  env_cmd->add_option("name", env_flags->name, "Machine name (default: \"default\")");
  env_cmd->add_option("--shell", env_flags->shell,
                      "bash, zsh, fish, powershell, cmd or tcsh (default: from $SHELL)");
  env_cmd->add_flag("-u,--unset", env_flags->unset, "Print the commands that undo it");
  env_cmd->add_flag("--no-proxy", env_flags->no_proxy, "Add the machine's IP to NO_PROXY");
  env_cmd->callback([&env, env_flags] {
    print_env(env, env_flags->name, env_flags->shell, env_flags->unset, env_flags->no_proxy);
  });

  add_single(parent, env, "ip", "Print machines' IP addresses",
             [](MachineCommandEnv&, LoadedMachine& m) { return m.driver->ip(); });
  add_single(parent, env, "url", "Print machines' engine URLs",
             [](MachineCommandEnv&, LoadedMachine& m) { return m.driver->engine_url(); });
  add_single(parent, env, "status", "Print machines' states",
             [](MachineCommandEnv&, LoadedMachine& m) {
               return std::string(drivers::state_name(m.driver->state()));
             });
  add_single(parent, env, "config", "Print the docker flags that reach a machine",
             [](MachineCommandEnv&, LoadedMachine& m) {
               const auto& d = m.dir;
               return "--tlsverify\n--tlscacert=\"" + d + "/" + machine::kCaCert +
                      "\"\n--tlscert=\"" + d + "/" + machine::kClientCert + "\"\n--tlskey=\"" + d +
                      "/" + machine::kClientKey + "\"\n-H=" + m.driver->engine_url();
             });

  auto inspect_format = std::make_shared<std::string>();
  auto inspect_names = std::make_shared<std::vector<std::string>>();
  auto* inspect = parent.add_subcommand("inspect", "Show what berth knows about machines (JSON)");
  inspect->add_option("names", *inspect_names, "Machine names (default: \"default\")");
  inspect->add_option("-f,--format", *inspect_format, "Template such as {{.Driver.name}}");
  inspect->callback([&env, inspect_format, inspect_names] {
    auto outcomes =
        run_for_each_machine(names_or_default(*inspect_names), [&](const std::string& name) {
          auto machine = load_machine(env, name);
          auto json = inspect_json(env, machine);
          return inspect_format->empty()
                     ? json.dump(4)
                     : client::render_go_template(*inspect_format, json, {true});
        });
    if (int code = report_outcomes(env, outcomes); code != 0) throw CLI::RuntimeError(code);
  });

  auto* active = parent.add_subcommand("active", "Print the machine DOCKER_HOST points at");
  active->callback([&env] {
    auto host = env.ctx.env("DOCKER_HOST").value_or("");
    if (!host.empty()) {
      for (const auto& entry : env.store().load_all()) {
        if (!entry.record) continue;
        try {
          auto driver = env.ctx.load_driver(entry.record->driver_name, entry.record->driver_state);
          if (driver->engine_url() == host) {
            env.out() << entry.name << "\n";
            return;
          }
        } catch (const std::exception&) {
          // A machine whose address cannot be found is not the active one.
        }
      }
    }
    throw NotFound(
        "no active machine: DOCKER_HOST " +
        (host.empty() ? std::string("is not set") : "(" + host + ") is no machine's URL") +
        " — run `eval $(berth machine env NAME)`");
  });

  auto version_name = std::make_shared<std::string>();
  auto* version =
      parent.add_subcommand("version", "Print berth's version, or a machine's engine's");
  version->add_option("name", *version_name, "Machine whose engine version to print");
  version->callback([&env, version_name] {
    if (version_name->empty()) {
      env.out() << "berth version " << BERTH_VERSION << "\n";
      return;
    }
    auto machine = load_machine(env, *version_name);
    require_running(machine, "ask the engine version of");
    env.out() << env.ctx.engine_version(machine.driver->engine_url(), machine.dir,
                                        std::chrono::seconds(10))
              << "\n";
  });
}

}  // namespace berth::cli
