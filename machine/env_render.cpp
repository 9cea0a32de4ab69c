#include "machine/env_render.hpp"

#include <sstream>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace berth::machine {

Shell parse_shell(std::string_view name) {
  if (name == "bash" || name == "zsh" || name == "sh" || name == "ksh" || name == "dash") {
    return Shell::Bash;
  }
  if (name == "fish") return Shell::Fish;
  if (name == "powershell" || name == "pwsh") return Shell::Powershell;
  if (name == "cmd") return Shell::Cmd;
  if (name == "tcsh" || name == "csh") return Shell::Tcsh;
  throw InvalidArgument("unknown shell \"" + std::string(name) +
                        "\": use bash, zsh, fish, powershell, cmd or tcsh");
}

Shell detect_shell(const char* shell_env) {
  if (shell_env == nullptr) return Shell::Bash;
  std::string_view path(shell_env);
  auto slash = path.rfind('/');
  auto base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  try {
    return parse_shell(base);
  } catch (const InvalidArgument&) {
    return Shell::Bash;
  }
}

namespace {

std::string set_line(Shell shell, const std::string& key, const std::string& value) {
  switch (shell) {
    case Shell::Bash:
      return "export " + key + "=\"" + value + "\"\n";
    case Shell::Fish:
      return "set -gx " + key + " \"" + value + "\";\n";
    case Shell::Powershell:
      return "$Env:" + key + " = \"" + value + "\"\n";
    case Shell::Cmd:
      return "SET " + key + "=" + value + "\n";
    case Shell::Tcsh:
      return "setenv " + key + " \"" + value + "\";\n";
  }
  return {};
}

std::string unset_line(Shell shell, const std::string& key) {
  switch (shell) {
    case Shell::Bash:
      return "unset " + key + "\n";
    case Shell::Fish:
      return "set -e " + key + ";\n";
    case Shell::Powershell:
      return "Remove-Item Env:\\\\" + key + "\n";
    case Shell::Cmd:
      return "SET " + key + "=\n";
    case Shell::Tcsh:
      return "unsetenv " + key + ";\n";
  }
  return {};
}

std::string usage_comment(Shell shell, const std::string& command_line) {
  switch (shell) {
    case Shell::Bash:
      return "# Run this command to configure your shell: \n# eval $(" + command_line + ")\n";
    case Shell::Fish:
      return "# Run this command to configure your shell: \n# eval (" + command_line + ")\n";
    case Shell::Powershell:
      return "# Run this command to configure your shell: \n# & " + command_line +
             " | Invoke-Expression\n";
    case Shell::Cmd:
      return "REM Run this command to configure your shell: \nREM \t@FOR /f \"tokens=*\" %i IN ('" +
             command_line + "') DO @%i\n";
    case Shell::Tcsh:
      return "# Run this command to configure your shell: \n# eval `" + command_line + "`\n";
  }
  return {};
}

// NO_PROXY with the machine's address appended, unless it is already listed.
std::string no_proxy_value(const std::string& current, const std::string& ip) {
  std::stringstream list(current);
  std::string entry;
  while (std::getline(list, entry, ',')) {
    if (entry == ip) return current;
  }
  return current.empty() ? ip : current + "," + ip;
}

}  // namespace

std::string render_env(const EnvRequest& request) {
  // Both the docker and berth names: docker reads DOCKER_*, and scripts written for docker-machine
  // read DOCKER_MACHINE_NAME.
  const std::vector<std::string> keys = {"DOCKER_TLS_VERIFY", "DOCKER_HOST", "DOCKER_CERT_PATH",
                                         "DOCKER_MACHINE_NAME", "BERTH_MACHINE_NAME"};
  std::string out;
  if (request.unset) {
    for (const auto& key : keys) out += unset_line(request.shell, key);
    if (request.no_proxy) out += unset_line(request.shell, "NO_PROXY");
  } else {
    const std::vector<std::pair<std::string, std::string>> values = {
        {"DOCKER_TLS_VERIFY", "1"},
        {"DOCKER_HOST", request.docker_host},
        {"DOCKER_CERT_PATH", request.cert_path},
        {"DOCKER_MACHINE_NAME", request.machine_name},
        {"BERTH_MACHINE_NAME", request.machine_name}};
    for (const auto& [key, value] : values) out += set_line(request.shell, key, value);
    if (request.no_proxy) {
      out += set_line(request.shell, "NO_PROXY",
                      no_proxy_value(request.current_no_proxy, request.machine_ip));
    }
  }
  out += usage_comment(request.shell, request.command_line);
  return out;
}

}  // namespace berth::machine
