// berth exec: POST /containers/NAME/exec, then /exec/ID/start hijacked (or detached), then the
// exit code from /exec/ID/json.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/client/attach_session.hpp"
#include "cli/client/client_env.hpp"

namespace berth::cli::client {

namespace {

struct ExecFlags {
  bool interactive = false, tty = false, detach = false, privileged = false;
  std::string user, workdir, detach_keys;
  std::vector<std::string> env, env_files;
};

int run_exec(ClientEnv& env, const ExecFlags& flags, CLI::App& cmd) {
  auto rest = cmd.remaining();
  if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
  if (rest.size() < 2) {
    throw InvalidArgument(
        "\"berth exec\" requires at least 2 arguments.\nSee 'berth exec --help'.");
  }
  const std::string container = rest.front();
  const std::vector<std::string> command(rest.begin() + 1, rest.end());
  if (flags.tty && flags.interactive && !flags.detach && !::isatty(0)) {
    throw InvalidArgument("the input device is not a TTY");
  }
  std::vector<std::string> variables;
  for (const auto& e : flags.env) {
    auto value = e.find('=') == std::string::npos ? env.ctx.env(e) : std::nullopt;
    variables.push_back(value ? e + "=" + *value : e);
  }
  const auto size = flags.tty ? terminal_size(1) : std::pair<int, int>{0, 0};
  Json body{{"User", flags.user},
            {"Privileged", flags.privileged},
            {"Tty", flags.tty},
            {"AttachStdin", flags.interactive && !flags.detach},
            {"AttachStderr", !flags.detach},
            {"AttachStdout", !flags.detach},
            {"Detach", flags.detach},
            {"DetachKeys", flags.detach_keys},
            {"Env", variables.empty() ? Json() : Json(variables)},
            {"WorkingDir", flags.workdir},
            {"Cmd", command}};
  if (flags.tty) body["ConsoleSize"] = {size.first, size.second};
  auto& engine = env.engine();
  auto created =
      engine.call_json("POST", "/containers/" + url_encode(container) + "/exec", body.dump());
  const std::string id = get_string(created, "Id");
  if (flags.detach) {
    engine.call("POST", "/exec/" + id + "/start",
                Json{{"Detach", true}, {"Tty", flags.tty}}.dump());
    return 0;
  }
  Json start{{"Detach", false}, {"Tty", flags.tty}};
  if (flags.tty) start["ConsoleSize"] = {size.first, size.second};
  auto attached = engine.hijack("/exec/" + id + "/start", start.dump());
  AttachIo io;
  io.tty = flags.tty;
  io.send_stdin = flags.interactive;
  if (flags.tty && size.first > 0) {
    auto target = engine.target();
    target.api_version = engine.api_version();
    auto resize = [target, id](int h, int w) {
      EngineClient client(target);
      client.call("POST",
                  "/exec/" + id + "/resize?h=" + std::to_string(h) + "&w=" + std::to_string(w));
    };
    try {
      resize(size.first, size.second);
    } catch (const std::exception&) {
      // The process may be gone already.
    }
    io.resize = resize;
  }
  env.out().flush();
  {
    std::unique_ptr<RawTerminal> raw;
    if (flags.tty && flags.interactive) raw = std::make_unique<RawTerminal>(0);
    pump_attached(*attached.stream, io);
  }
  auto inspect = engine.call_json("GET", "/exec/" + id + "/json");
  return static_cast<int>(get_int64(inspect, "ExitCode"));
}

}  // namespace

void add_exec_command(CLI::App& parent, ClientEnv& env) {
  auto flags = std::make_shared<ExecFlags>();
  auto* cmd = parent.add_subcommand("exec", "Execute a command in a running container");
  cmd->prefix_command();
  cmd->add_flag("-i,--interactive", flags->interactive, "Keep STDIN open even if not attached");
  cmd->add_flag("-t,--tty", flags->tty, "Allocate a pseudo-TTY");
  cmd->add_flag("-d,--detach", flags->detach, "Detached mode: run command in the background");
  cmd->add_flag("--privileged", flags->privileged, "Give extended privileges to the command");
  cmd->add_option("-u,--user", flags->user, "Username or UID");
  cmd->add_option("-w,--workdir", flags->workdir, "Working directory inside the container");
  cmd->add_option("--detach-keys", flags->detach_keys, "Key sequence for detaching");
  cmd->add_option("-e,--env", flags->env, "Set environment variables")->allow_extra_args(false);
  cmd->callback(
      [&env, flags, cmd] { run_command(env, [&] { return run_exec(env, *flags, *cmd); }); });
}

}  // namespace berth::cli::client
