#include "cli/client/client_env.hpp"

#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include "cli/machine_module.hpp"
#include "common/http_client.hpp"

namespace berth::cli::client {

EngineTarget ClientEnv::target() const {
  EngineFlags flags;
  auto is_given = [&](const char* name) { return given && given(name); };
  if (is_given("--host")) flags.host = host;
  if (is_given("--machine")) flags.machine = machine;
  flags.tls = tls;
  if (is_given("--tlsverify")) flags.tlsverify = tlsverify;
  if (is_given("--tlscacert")) flags.tlscacert = tlscacert;
  if (is_given("--tlscert")) flags.tlscert = tlscert;
  if (is_given("--tlskey")) flags.tlskey = tlskey;
  SelectionInputs inputs;
  inputs.getenv = [this](const std::string& key) { return ctx.env(key); };
  inputs.file_exists = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  };
  inputs.home = ctx.env("HOME").value_or("");
  inputs.machine = [this](const std::string& name) {
    auto endpoint = machine_support(ctx).endpoint_of(machines, name);
    return MachineEngine{endpoint.url, endpoint.cert_dir};
  };
  return select_engine(flags, inputs);
}

EngineClient& ClientEnv::engine() {
  if (!engine_) engine_ = std::make_unique<EngineClient>(target());
  return *engine_;
}

std::string describe_failure(const std::exception& e) {
  if (auto* status = dynamic_cast<const http::HttpStatusError*>(&e)) {
    return "Error response from daemon: " + status->message();
  }
  return e.what();
}

int for_each_name(ClientEnv& env, const std::vector<std::string>& names,
                  const std::function<std::string(const std::string& name)>& action) {
  bool failed = false;
  for (const auto& name : names) {
    try {
      if (const std::string text = action(name); !text.empty()) env.out() << text << "\n";
    } catch (const EngineUnreachable&) {
      throw;
    } catch (const std::exception& e) {
      env.out().flush();
      env.err() << describe_failure(e) << "\n";
      failed = true;
    }
  }
  return failed ? kExitFailure : 0;
}

void run_command(ClientEnv& env, const std::function<int()>& body, int failure_code,
                 const std::string& prefix) {
  int code = 0;
  try {
    code = body();
  } catch (const CLI::RuntimeError&) {
    throw;
  } catch (const std::exception& e) {
    env.err() << prefix << describe_failure(e) << "\n";
    code = failure_code;
  }
  env.out().flush();
  if (code != 0) throw CLI::RuntimeError(code);
}

void add_engine_flags(CLI::App& app, ClientEnv& env) {
  auto* host = app.add_option("-H,--host", env.host, "Engine to talk to (unix:///…, tcp://…)");
  auto* machine =
      app.add_option("--machine", env.machine, "Machine (from the store) whose engine to use");
  app.add_flag("--tls", env.tls, "Use TLS; implied by --tlsverify");
  auto* verify = app.add_flag("--tlsverify", env.tlsverify, "Use TLS and verify the engine");
  auto* ca = app.add_option("--tlscacert", env.tlscacert, "Trust certs signed only by this CA");
  auto* cert = app.add_option("--tlscert", env.tlscert, "Path to TLS certificate file");
  auto* key = app.add_option("--tlskey", env.tlskey, "Path to TLS key file");
  auto debug = std::make_shared<bool>(false);
  auto level = std::make_shared<std::string>();
  app.add_flag("-D,--debug", *debug, "Accepted for docker compatibility");
  app.add_option("-l,--log-level", *level, "Accepted for docker compatibility");
  env.given = [=](const char* name) {
    const std::string n = name;
    const CLI::Option* option = n == "--host"        ? host
                                : n == "--machine"   ? machine
                                : n == "--tlsverify" ? verify
                                : n == "--tlscacert" ? ca
                                : n == "--tlscert"   ? cert
                                : n == "--tlskey"    ? key
                                                     : nullptr;
    return option != nullptr && option->count() > 0;
  };
}

std::string command_word(const std::vector<std::string>& args) {
  static const std::vector<std::string> with_value = {
      "-H",        "--host",   "-s", "--storage-path", "--machine", "--tlscacert",
      "--tlscert", "--tlskey", "-l", "--log-level"};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--") return "";
    if (arg.empty() || arg[0] != '-') return arg;
    if (std::find(with_value.begin(), with_value.end(), arg) != with_value.end()) ++i;
  }
  return "";
}

namespace {

void add_container_group(CLI::App& app, ClientEnv& env);
void add_image_group(CLI::App& app, ClientEnv& env);
void add_system_group(CLI::App& app, ClientEnv& env);
void add_builder_group(CLI::App& app, ClientEnv& env);

// Which registration adds which top-level commands. Building CLI11's whole tree (hundreds of
// options) is a good part of berth's start-up, so a command line names its command and only that
// part is built; a word not listed here (or none: help) builds everything. The unit test
// "lazy registration" checks every command of the full tree is found this way.
struct TopLevel {
  const char* names[10];  // unused slots stay null
  void (*add)(CLI::App&, ClientEnv&);
};
const TopLevel kTopLevel[] = {
    {{"version"}, add_version_commands},
    {{"ps"}, [](CLI::App& a, ClientEnv& e) { add_ps_command(a, e, false); }},
    {{"images"}, [](CLI::App& a, ClientEnv& e) { add_images_command(a, e, false); }},
    {{"run", "create", "start", "attach"}, add_run_commands},
    {{"stop", "restart", "kill", "rm", "pause", "unpause", "wait", "rename", "top", "port"},
     add_container_commands},
    {{"logs"}, add_logs_command},
    {{"exec"}, add_exec_command},
    {{"inspect"}, [](CLI::App& a, ClientEnv& e) { add_inspect_command(a, e, ""); }},
    {{"load", "save", "tag", "rmi", "history"},
     [](CLI::App& a, ClientEnv& e) { add_image_commands(a, e, false); }},
    {{"info", "events"}, [](CLI::App& a, ClientEnv& e) { add_system_commands(a, e, false); }},
    {{"stats"}, add_stats_command},
    {{"cp"}, add_cp_command},
    {{"pull", "push"}, add_pull_push_commands},
    {{"import"}, add_import_command},
    {{"update"}, add_update_command},
    {{"network"}, add_network_commands},
    {{"volume"}, add_volume_commands},
    {{"build"}, add_build_command},
    {{"login", "logout"}, add_login_commands},
    {{"container"}, add_container_group},
    {{"image"}, add_image_group},
    {{"system"}, add_system_group},
    {{"builder"}, add_builder_group},
};

}  // namespace

void add_client_commands(CLI::App& app, ClientEnv& env, const std::string& only) {
  for (const auto& entry : kTopLevel) {
    for (const char* name : entry.names) {
      if (name != nullptr && only == name) {
        entry.add(app, env);
        return;
      }
    }
  }
  for (const auto& entry : kTopLevel) entry.add(app, env);
}

namespace {

void add_container_group(CLI::App& app, ClientEnv& env) {
  auto* container = app.add_subcommand("container", "Manage containers");
  container->require_subcommand(1);
  add_ps_command(*container, env, true);
  add_run_commands(*container, env);
  add_container_commands(*container, env);
  add_logs_command(*container, env);
  add_exec_command(*container, env);
  add_inspect_command(*container, env, "container");
  add_stats_command(*container, env);
  add_cp_command(*container, env);
  add_update_command(*container, env);
}

void add_image_group(CLI::App& app, ClientEnv& env) {
  auto* image = app.add_subcommand("image", "Manage images");
  image->require_subcommand(1);
  add_images_command(*image, env, true);
  add_image_commands(*image, env, true);
  add_inspect_command(*image, env, "image");
  add_pull_push_commands(*image, env);
  add_import_command(*image, env);
  add_image_prune_command(*image, env);
  add_build_command(*image, env);
}

void add_system_group(CLI::App& app, ClientEnv& env) {
  auto* system = app.add_subcommand("system", "Manage the engine");
  system->require_subcommand(1);
  add_system_commands(*system, env, true);
  add_system_prune_command(*system, env);
}

void add_builder_group(CLI::App& app, ClientEnv& env) {
  auto* builder = app.add_subcommand("builder", "Manage builds");
  builder->require_subcommand(1);
  add_build_command(*builder, env);
}

}  // namespace

}  // namespace berth::cli::client
