// ssh and scp through the system OpenSSH client, with the machine's own key and its recorded host
// key: the client already does PTYs, escapes, agent forwarding and scp -r well.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include "cli/machine_command_env.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace berth::cli {

namespace {

struct SshEndpoint {
  std::string user_host;  // user@host (host in brackets when IPv6, as scp wants)
  int port = 22;
  std::vector<std::string> options;  // -i … -o …, shared by ssh and scp
};

SshEndpoint ssh_endpoint(MachineCommandEnv& env, LoadedMachine& machine,
                         const std::string& action) {
  require_running(machine, action);
  SshEndpoint endpoint;
  auto host = machine.driver->ssh_address();
  endpoint.port = machine.driver->ssh_port();
  bool v6 = host.find(':') != std::string::npos;
  endpoint.user_host = machine.driver->ssh_user() + "@" + (v6 ? "[" + host + "]" : host);
  const auto known_hosts = machine.dir + "/known_hosts";
  std::string checking = "accept-new";
  if (!machine.record.ssh_host_key.empty()) {
    // The key recorded at creation: a machine whose key changed is refused by ssh itself.
    auto pattern = endpoint.port == 22 ? host : "[" + host + "]:" + std::to_string(endpoint.port);
    write_file_atomic(known_hosts, pattern + " " + machine.record.ssh_host_key + "\n", 0600);
    checking = "yes";
  }
  endpoint.options = {"-i", machine_ssh_key(env, machine),
                      "-o", "IdentitiesOnly=yes",
                      "-o", "UserKnownHostsFile=" + known_hosts,
                      "-o", "StrictHostKeyChecking=" + checking,
                      "-o", "ConnectTimeout=10",
                      "-o", "LogLevel=ERROR"};
  return endpoint;
}

// "machine:path" → {machine, path}; anything else is a local path.
std::optional<std::pair<std::string, std::string>> split_remote(const std::string& arg) {
  auto colon = arg.find(':');
  if (colon == std::string::npos || colon == 0 || arg.find('/') < colon) return std::nullopt;
  return std::make_pair(arg.substr(0, colon), arg.substr(colon + 1));
}

}  // namespace

void add_ssh_commands(CLI::App& parent, MachineCommandEnv& env) {
  auto ssh_name = std::make_shared<std::string>(kDefaultMachine);
  auto* ssh = parent.add_subcommand(
      "ssh", "Log into a machine, or run a command there: ssh NAME -- COMMAND [ARGS…]");
  ssh->add_option("name", *ssh_name, "Machine name (default: \"default\")");
  ssh->callback([&env, ssh_name] {
    const std::string& name = *ssh_name;
    auto machine = load_machine(env, name);
    auto endpoint = ssh_endpoint(env, machine, "ssh to");
    std::vector<std::string> argv = {"ssh"};
    argv.insert(argv.end(), endpoint.options.begin(), endpoint.options.end());
    argv.insert(argv.end(), {"-p", std::to_string(endpoint.port)});
    bool interactive = !env.passthrough || env.passthrough->empty();
    if (interactive && ::isatty(STDIN_FILENO)) argv.push_back("-t");
    argv.push_back(endpoint.user_host);
    // ssh joins the words with spaces for the remote shell, as docker-machine ssh does.
    if (!interactive) argv.insert(argv.end(), env.passthrough->begin(), env.passthrough->end());
    if (int code = env.ctx.run_process(argv); code != 0) throw CLI::RuntimeError(code);
  });

  struct ScpFlags {
    bool recursive = false;
    std::string source;
    std::string destination;
  };
  auto scp_flags = std::make_shared<ScpFlags>();
  auto* scp = parent.add_subcommand("scp", "Copy files to or from a machine (NAME:PATH)");
  scp->add_flag("-r,--recursive", scp_flags->recursive, "Copy folders recursively");
  scp->add_option("source", scp_flags->source, "PATH or NAME:PATH")->required();
  scp->add_option("destination", scp_flags->destination, "PATH or NAME:PATH")->required();
  scp->callback([&env, scp_flags] {
    auto source = split_remote(scp_flags->source);
    auto destination = split_remote(scp_flags->destination);
    if (!source && !destination) {
      throw InvalidArgument("neither \"" + scp_flags->source + "\" nor \"" +
                            scp_flags->destination +
                            "\" names a machine: write the machine's side as NAME:PATH");
    }
    if (source && destination && source->first != destination->first) {
      throw InvalidArgument(
          "copying between two machines is not supported: copy through this "
          "host in two steps");
    }
    const std::string name = source ? source->first : destination->first;
    auto machine = load_machine(env, name);
    auto endpoint = ssh_endpoint(env, machine, "copy files with");
    auto side = [&](const std::string& arg,
                    const std::optional<std::pair<std::string, std::string>>& remote) {
      return remote ? endpoint.user_host + ":" + remote->second : arg;
    };
    std::vector<std::string> argv = {"scp"};
    argv.insert(argv.end(), endpoint.options.begin(), endpoint.options.end());
    argv.insert(argv.end(), {"-P", std::to_string(endpoint.port)});
    if (scp_flags->recursive) argv.push_back("-r");
    argv.push_back(side(scp_flags->source, source));
    argv.push_back(side(scp_flags->destination, destination));
    if (int code = env.ctx.run_process(argv); code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace berth::cli
