// Container commands that act on names one by one: stop, kill, restart, rm, pause, unpause, wait;
// and rename, top, port, container prune.
#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/container_session.hpp"
#include "cli/client/go_template.hpp"
#include "cli/client/human_units.hpp"
#include "cli/client/listing.hpp"
#include "cli/client/prune_reports.hpp"
#include "cli/client/tab_writer.hpp"

namespace berth::cli::client {

namespace {

std::string path_of(const std::string& name) {
  return "/containers/" + url_encode(name);
}

struct NamesFlags {
  std::vector<std::string> names;
  std::optional<int> timeout;
  std::string signal;
  bool force = false, volumes = false, link = false;
};

CLI::App* names_command(CLI::App& parent, const char* name, const char* help,
                        std::shared_ptr<NamesFlags> flags) {
  auto* cmd = parent.add_subcommand(name, help);
  cmd->add_option("containers", flags->names, "Containers")->required();
  return cmd;
}

std::string query_of(const std::vector<std::string>& params) {
  std::string q;
  for (const auto& p : params) q += (q.empty() ? "?" : "&") + p;
  return q;
}

int show_port(ClientEnv& env, const std::string& name, const std::string& filter) {
  auto info = inspect_container(env, name);
  const Json* ports = nullptr;
  if (const Json* settings = find_field(info, "NetworkSettings"))
    ports = find_field(*settings, "Ports");
  std::string wanted = filter;
  if (!wanted.empty() && wanted.find('/') == std::string::npos) wanted += "/tcp";
  std::vector<std::string> lines;
  if (ports && ports->is_object()) {
    for (const auto& [key, bindings] : ports->items()) {
      if (!wanted.empty() && key != wanted) continue;
      if (!bindings.is_array()) continue;
      for (const auto& b : bindings) {
        std::string ip = get_string(b, "HostIp");
        std::string host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
        std::string line = host + ":" + get_string(b, "HostPort");
        lines.push_back(wanted.empty() ? key + " -> " + line : line);
      }
    }
  }
  if (lines.empty() && !filter.empty()) {
    throw Error("Error: No public port '" + wanted + "' published for " + name);
  }
  for (const auto& line : lines) env.out() << line << "\n";
  return 0;
}

int show_top(ClientEnv& env, const std::string& name, const std::vector<std::string>& ps_args) {
  std::string query;
  if (!ps_args.empty()) {
    std::string joined;
    for (const auto& a : ps_args) joined += (joined.empty() ? "" : " ") + a;
    query = "?ps_args=" + url_encode(joined);
  }
  auto top = env.engine().call_json("GET", path_of(name) + "/top" + query);
  // docker joins cells with tabs (no trailing tab) through tabwriter(20, 1, 3).
  auto line = [](const Json& cells) {
    std::string out;
    for (const auto& cell : cells)
      out += (out.empty() && &cell == &cells.front() ? "" : "\t") + go_value_text(cell);
    return out + "\n";
  };
  std::string text = line(top.value("Titles", Json::array()));
  for (const auto& process : top.value("Processes", Json::array())) text += line(process);
  env.out() << tabwrite(text, {20, 3});
  return 0;
}

}  // namespace

void add_container_commands(CLI::App& parent, ClientEnv& env) {
  auto stop = std::make_shared<NamesFlags>();
  auto* stop_cmd = names_command(parent, "stop", "Stop one or more running containers", stop);
  stop_cmd->add_option("-t,--timeout", stop->timeout, "Seconds to wait before killing it");
  stop_cmd->add_option("-s,--signal", stop->signal, "Signal to send to the container");
  stop_cmd->callback([&env, stop] {
    run_command(env, [&] {
      std::vector<std::string> params;
      if (!stop->signal.empty()) params.push_back("signal=" + url_encode(stop->signal));
      if (stop->timeout) params.push_back("t=" + std::to_string(*stop->timeout));
      return for_each_name(env, stop->names, [&](const std::string& name) {
        env.engine().call("POST", path_of(name) + "/stop" + query_of(params));
        return name;
      });
    });
  });

  auto restart = std::make_shared<NamesFlags>();
  auto* restart_cmd = names_command(parent, "restart", "Restart one or more containers", restart);
  restart_cmd->add_option("-t,--timeout", restart->timeout, "Seconds to wait before killing it");
  restart_cmd->add_option("-s,--signal", restart->signal, "Signal to send to the container");
  restart_cmd->callback([&env, restart] {
    run_command(env, [&] {
      std::vector<std::string> params;
      if (!restart->signal.empty()) params.push_back("signal=" + url_encode(restart->signal));
      if (restart->timeout) params.push_back("t=" + std::to_string(*restart->timeout));
      return for_each_name(env, restart->names, [&](const std::string& name) {
        env.engine().call("POST", path_of(name) + "/restart" + query_of(params));
        return name;
      });
    });
  });

  auto kill = std::make_shared<NamesFlags>();
  auto* kill_cmd = names_command(parent, "kill", "Kill one or more running containers", kill);
  kill_cmd->add_option("-s,--signal", kill->signal, "Signal to send to the container");
  kill_cmd->callback([&env, kill] {
    run_command(env, [&] {
      const std::string q = kill->signal.empty() ? "" : "?signal=" + url_encode(kill->signal);
      return for_each_name(env, kill->names, [&](const std::string& name) {
        env.engine().call("POST", path_of(name) + "/kill" + q);
        return name;
      });
    });
  });

  auto rm = std::make_shared<NamesFlags>();
  auto* rm_cmd = names_command(parent, "rm", "Remove one or more containers", rm);
  if (parent.get_name() == "container") rm_cmd->alias("remove");
  rm_cmd->add_flag("-f,--force", rm->force, "Force the removal of a running container");
  rm_cmd->add_flag("-v,--volumes", rm->volumes, "Remove anonymous volumes");
  rm_cmd->add_flag("-l,--link", rm->link, "Remove the specified link");
  rm_cmd->callback([&env, rm] {
    run_command(env, [&] {
      std::vector<std::string> params;
      if (rm->force) params.push_back("force=1");
      if (rm->link) params.push_back("link=1");
      if (rm->volumes) params.push_back("v=1");
      return for_each_name(env, rm->names, [&](const std::string& name) {
        env.engine().call("DELETE", path_of(name) + query_of(params));
        return name;
      });
    });
  });

  for (const char* verb : {"pause", "unpause"}) {
    auto flags = std::make_shared<NamesFlags>();
    auto* cmd =
        names_command(parent, verb,
                      std::string(verb) == "pause" ? "Pause all processes within containers"
                                                   : "Unpause all processes within containers",
                      flags);
    cmd->callback([&env, flags, verb] {
      run_command(env, [&] {
        return for_each_name(env, flags->names, [&](const std::string& name) {
          env.engine().call("POST", path_of(name) + "/" + verb);
          return name;
        });
      });
    });
  }

  auto wait = std::make_shared<NamesFlags>();
  auto* wait_cmd = names_command(parent, "wait",
                                 "Block until containers stop, then print their exit codes", wait);
  wait_cmd->callback([&env, wait] {
    run_command(env, [&] {
      return for_each_name(env, wait->names, [&](const std::string& name) {
        auto response = env.engine().stream("POST", path_of(name) + "/wait");
        auto result = Json::parse(response->read_all(1 << 20));
        return std::to_string(get_int64(result, "StatusCode"));
      });
    });
  });

  auto rename = std::make_shared<std::vector<std::string>>();
  auto* rename_cmd = parent.add_subcommand("rename", "Rename a container");
  rename_cmd->add_option("names", *rename, "CONTAINER NEW_NAME")->required()->expected(2);
  rename_cmd->callback([&env, rename] {
    run_command(env, [&] {
      env.engine().call("POST", path_of((*rename)[0]) + "/rename?name=" + url_encode((*rename)[1]));
      return 0;
    });
  });

  auto top = std::make_shared<std::vector<std::string>>();
  auto* top_cmd = parent.add_subcommand("top", "Display the running processes of a container");
  top_cmd->prefix_command();
  top_cmd->callback([&env, top_cmd] {
    run_command(env, [&] {
      auto args = top_cmd->remaining();
      if (args.empty()) throw InvalidArgument("\"berth top\" requires at least 1 argument.");
      std::string name = args.front();
      args.erase(args.begin());
      return show_top(env, name, args);
    });
  });

  auto port = std::make_shared<std::vector<std::string>>();
  auto* port_cmd = parent.add_subcommand("port", "List port mappings or a specific mapping");
  port_cmd->add_option("args", *port, "CONTAINER [PRIVATE_PORT[/PROTO]]")
      ->required()
      ->expected(1, 2);
  port_cmd->callback([&env, port] {
    run_command(env,
                [&] { return show_port(env, (*port)[0], port->size() > 1 ? (*port)[1] : ""); });
  });

  if (parent.get_name() == "container") {
    auto prune = std::make_shared<std::pair<bool, std::vector<std::string>>>();
    auto* prune_cmd = parent.add_subcommand("prune", "Remove all stopped containers");
    prune_cmd->add_flag("-f,--force", prune->first, "Do not prompt for confirmation");
    prune_cmd->add_option("--filter", prune->second, "Provide filter values")
        ->allow_extra_args(false);
    prune_cmd->callback([&env, prune] {
      run_command(env, [&] {
        if (!prune->first && !confirmed(env,
                                        "WARNING! This will remove all stopped containers.\n"
                                        "Are you sure you want to continue?")) {
          return 0;
        }
        const auto report = prune_containers(env, prune->second);
        print_prune_result(env, report);
        return 0;
      });
    });
  }
}

}  // namespace berth::cli::client
