#pragma once
// `berth machine env`: the shell commands that point docker (and berth) at a machine, in the
// syntax of the user's shell, ending with the usage comment docker-machine prints.
#include <optional>
#include <string>
#include <string_view>

namespace berth::machine {

enum class Shell { Bash, Fish, Powershell, Cmd, Tcsh };

// "bash", "zsh", "sh" (all POSIX syntax), "fish", "powershell"/"pwsh", "cmd", "tcsh"/"csh".
// Throws InvalidArgument listing the choices.
Shell parse_shell(std::string_view name);
// From $SHELL's basename; anything unknown or unset is POSIX (bash) syntax.
Shell detect_shell(const char* shell_env);

struct EnvRequest {
  Shell shell = Shell::Bash;
  bool unset = false;
  std::string machine_name;
  std::string docker_host;  // tcp://IP:2376
  std::string cert_path;    // the machine's folder
  // --no-proxy: the machine's address is added to NO_PROXY (current value in `current_no_proxy`:
  // $NO_PROXY, else $no_proxy) so a configured HTTP proxy is not asked to reach the machine.
  bool no_proxy = false;
  std::string machine_ip;
  std::string current_no_proxy;
  // How the user ran berth, for the usage comment ("berth machine env dev").
  std::string command_line;
};

std::string render_env(const EnvRequest& request);

}  // namespace berth::machine
