// berth run, create, start and attach.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/container_session.hpp"
#include "common/http_client.hpp"

namespace berth::cli::client {

namespace {

// CLI11 leaves everything from the image on in remaining() (prefix_command): image, then the
// command and its arguments verbatim, as docker passes them.
std::pair<std::string, std::vector<std::string>> image_and_command(CLI::App& cmd,
                                                                   const std::string& verb) {
  auto rest = cmd.remaining();
  if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
  if (rest.empty()) {
    throw InvalidArgument("\"berth " + verb + "\" requires at least 1 argument.\nSee 'berth " +
                          verb + " --help'.");
  }
  std::string image = rest.front();
  rest.erase(rest.begin());
  return {image, rest};
}

int run_container(ClientEnv& env, ContainerFlags& flags, CLI::App& cmd) {
  auto [image, command] = image_and_command(cmd, "run");
  if (flags.detach && !flags.attach.empty()) {
    throw InvalidArgument("conflicting options: cannot specify both --attach and --detach");
  }
  if (flags.tty && flags.interactive && !flags.detach && !::isatty(0)) {
    throw InvalidArgument("the input device is not a TTY");
  }
  const std::string id = create_container(env, flags, image, command);
  if (flags.detach) {
    env.engine().call("POST", "/containers/" + id + "/start");
    env.out() << id << "\n";
    return 0;
  }
  AttachPlan plan;
  plan.tty = flags.tty;
  auto wants = [&](const char* stream, bool by_default) {
    if (flags.attach.empty()) return by_default;
    for (auto s : flags.attach) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (s == stream) return true;
    }
    return false;
  };
  plan.stdin = wants("stdin", flags.interactive);
  plan.stdout = wants("stdout", true);
  plan.stderr = wants("stderr", true);
  plan.sig_proxy = flags.sig_proxy;
  plan.wait_condition = flags.rm ? "removed" : "next-exit";
  plan.start = true;
  return attach_and_run(env, id, plan);
}

struct StartFlags {
  bool attach = false, interactive = false;
  std::vector<std::string> containers;
};

int start_containers(ClientEnv& env, const StartFlags& flags) {
  if (flags.attach || flags.interactive) {
    if (flags.containers.size() != 1) {
      throw InvalidArgument("you cannot start and attach multiple containers at once");
    }
    auto info = inspect_container(env, flags.containers[0]);
    const Json config = info.value("Config", Json::object());
    AttachPlan plan;
    plan.tty = get_bool(config, "Tty");
    plan.stdin = flags.interactive && get_bool(config, "OpenStdin");
    plan.wait_condition = "next-exit";
    plan.start = true;
    return attach_and_run(env, get_string(info, "Id"), plan);
  }
  std::vector<std::string> failed;
  for (const auto& name : flags.containers) {
    try {
      env.engine().call("POST", "/containers/" + url_encode(name) + "/start");
      env.out() << name << "\n";
    } catch (const EngineUnreachable&) {
      throw;
    } catch (const std::exception& e) {
      env.err() << describe_failure(e) << "\n";
      failed.push_back(name);
    }
  }
  if (failed.empty()) return 0;
  std::string names;
  for (const auto& n : failed) names += (names.empty() ? "" : ", ") + n;
  throw Error("Error: failed to start containers: " + names);
}

struct AttachFlags {
  std::string container;
  bool no_stdin = false;
  bool sig_proxy = true;
};

int attach_container(ClientEnv& env, const AttachFlags& flags) {
  auto info = inspect_container(env, flags.container);
  const Json state = info.value("State", Json::object());
  if (!get_bool(state, "Running")) {
    throw InvalidArgument("You cannot attach to a stopped container, start it first");
  }
  const Json config = info.value("Config", Json::object());
  AttachPlan plan;
  plan.tty = get_bool(config, "Tty");
  plan.stdin = !flags.no_stdin && get_bool(config, "OpenStdin");
  plan.sig_proxy = flags.sig_proxy;
  plan.wait_condition = "next-exit";
  return attach_and_run(env, get_string(info, "Id"), plan);
}

}  // namespace

void add_run_commands(CLI::App& parent, ClientEnv& env) {
  auto run_flags = std::make_shared<ContainerFlags>();
  auto* run = parent.add_subcommand("run", "Create and run a new container from an image");
  run->prefix_command();
  run->set_help_flag("--help", "Print usage");  // -h is --hostname, as in docker
  add_container_flags(*run, *run_flags, true);
  run->callback([&env, run_flags, run] {
    run_command(
        env, [&] { return run_container(env, *run_flags, *run); }, kExitEngineError, "berth: ");
  });

  auto create_flags = std::make_shared<ContainerFlags>();
  auto* create = parent.add_subcommand("create", "Create a new container");
  create->prefix_command();
  create->set_help_flag("--help", "Print usage");
  add_container_flags(*create, *create_flags, false);
  create->callback([&env, create_flags, create] {
    run_command(
        env,
        [&] {
          auto [image, command] = image_and_command(*create, "create");
          create_flags->detach = true;  // create never attaches
          env.out() << create_container(env, *create_flags, image, command) << "\n";
          return 0;
        },
        kExitEngineError, "berth: ");
  });

  auto start_flags = std::make_shared<StartFlags>();
  auto* start = parent.add_subcommand("start", "Start one or more stopped containers");
  start->add_flag("-a,--attach", start_flags->attach, "Attach STDOUT/STDERR and forward signals");
  start->add_flag("-i,--interactive", start_flags->interactive, "Attach container's STDIN");
  start->add_option("containers", start_flags->containers, "Containers")->required();
  start->callback([&env, start_flags] {
    run_command(env, [&] { return start_containers(env, *start_flags); });
  });

  auto attach_flags = std::make_shared<AttachFlags>();
  auto* attach = parent.add_subcommand("attach", "Attach to a running container's streams");
  attach->add_option("container", attach_flags->container, "Container")->required();
  attach->add_flag("--no-stdin", attach_flags->no_stdin, "Do not attach STDIN");
  attach->add_flag("--sig-proxy{true}", attach_flags->sig_proxy, "Proxy all received signals");
  attach->callback([&env, attach_flags] {
    run_command(env, [&] { return attach_container(env, *attach_flags); });
  });
}

}  // namespace berth::cli::client
