// berth volume ls/inspect/create/rm/prune with docker's flags and output. berthd has no named
// volumes yet; its refusals are printed as docker prints engine errors.
#include <algorithm>

#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/inspect_output.hpp"
#include "cli/client/listing.hpp"
#include "cli/client/prune_reports.hpp"

namespace berth::cli::client {

namespace {

struct ListFlags {
  bool quiet = false;
  std::string format;
  std::vector<std::string> filters;
};

int list_volumes(ClientEnv& env, const ListFlags& flags) {
  std::string query;
  if (auto f = filters_query(flags.filters); !f.empty()) query = "?filters=" + url_encode(f);
  auto answer = env.engine().call_json("GET", "/volumes" + query);
  const Json* listed = find_field(answer, "Volumes");
  std::vector<Json> volumes;
  if (listed != nullptr && listed->is_array()) volumes.assign(listed->begin(), listed->end());
  std::sort(volumes.begin(), volumes.end(), [](const Json& a, const Json& b) {
    return get_string(a, "Name") < get_string(b, "Name");
  });
  std::vector<Json> rows;
  for (const auto& v : volumes) {
    std::string labels;
    for (const auto& [k, val] : get_string_map(v, "Labels"))
      labels += (labels.empty() ? "" : ",") + k + "=" + val;
    rows.push_back(Json{{"Name", get_string(v, "Name")},
                        {"Driver", get_string(v, "Driver")},
                        {"Scope", get_string(v, "Scope")},
                        {"Mountpoint", get_string(v, "Mountpoint")},
                        {"Labels", labels},
                        {"CreatedAt", get_string(v, "CreatedAt")}});
  }
  if (flags.quiet && flags.format.empty()) {
    for (const auto& row : rows) env.out() << get_string(row, "Name") << "\n";
    return 0;
  }
  static const ListingStyle style{"table {{.Driver}}\t{{.Name}}",
                                  {{"Name", "VOLUME NAME"},
                                   {"Driver", "DRIVER"},
                                   {"Scope", "SCOPE"},
                                   {"Mountpoint", "MOUNTPOINT"},
                                   {"Labels", "LABELS"},
                                   {"CreatedAt", "CREATED AT"}}};
  env.out() << render_listing(flags.format, rows, style);
  return 0;
}

struct CreateFlags {
  std::string positional_name, name, driver = "local";
  std::vector<std::string> options, labels;
};

Json key_values(const std::vector<std::string>& items) {
  Json map = Json::object();
  for (const auto& item : items) {
    const auto eq = item.find('=');
    map[item.substr(0, eq)] = eq == std::string::npos ? "" : item.substr(eq + 1);
  }
  return map;
}

int create_volume(ClientEnv& env, const CreateFlags& f) {
  if (!f.positional_name.empty() && !f.name.empty() && f.positional_name != f.name) {
    throw InvalidArgument(
        "conflicting options: cannot specify a volume-name through both "
        "--name and as a positional arg");
  }
  // The body docker sends (reference/docker-cli-requests.md, "vol" and "vol2").
  Json body{{"Driver", f.driver}, {"Name", f.name.empty() ? f.positional_name : f.name}};
  if (!f.options.empty()) body["DriverOpts"] = key_values(f.options);
  if (!f.labels.empty()) body["Labels"] = key_values(f.labels);
  auto created = env.engine().call_json("POST", "/volumes/create", body.dump());
  env.out() << get_string(created, "Name") << "\n";
  return 0;
}

int remove_volumes(ClientEnv& env, const std::vector<std::string>& names, bool force) {
  return for_each_name(env, names, [&](const std::string& name) {
    env.engine().call("DELETE", "/volumes/" + url_encode(name) + (force ? "?force=1" : ""));
    return name;
  });
}

struct PruneFlags {
  bool all = false, force = false;
  std::vector<std::string> filters;
};

int prune_volumes_command(ClientEnv& env, const PruneFlags& flags) {
  const std::string warning =
      flags.all ? "WARNING! This will remove all local volumes not used by at least one "
                  "container.\nAre you sure you want to continue?"
                : "WARNING! This will remove anonymous local volumes not used by at least one "
                  "container.\nAre you sure you want to continue?";
  if (!flags.force && !confirmed(env, warning)) return 0;
  print_prune_result(env, prune_volumes(env, flags.all, flags.filters));
  return 0;
}

}  // namespace

void add_volume_commands(CLI::App& app, ClientEnv& env) {
  auto* group = app.add_subcommand("volume", "Manage volumes");
  group->require_subcommand(1);

  auto list = std::make_shared<ListFlags>();
  auto* ls = group->add_subcommand("ls", "List volumes");
  ls->alias("list");
  ls->add_flag("-q,--quiet", list->quiet, "Only display volume names");
  ls->add_option("--format", list->format, "Format output: table, json or a Go template");
  ls->add_option("-f,--filter", list->filters, "Provide filter values (e.g. \"dangling=true\")")
      ->allow_extra_args(false);
  ls->callback([&env, list] { run_command(env, [&] { return list_volumes(env, *list); }); });

  auto inspect = std::make_shared<std::pair<std::vector<std::string>, std::string>>();
  auto* inspect_cmd = group->add_subcommand("inspect", "Display detailed information on volumes");
  inspect_cmd->add_option("volumes", inspect->first, "Volumes")->required();
  inspect_cmd->add_option("-f,--format", inspect->second, "Format output using a Go template");
  inspect_cmd->callback([&env, inspect] {
    run_command(env,
                [&] { return inspect_named(env, "/volumes/", inspect->first, inspect->second); });
  });

  auto create = std::make_shared<CreateFlags>();
  auto* create_cmd = group->add_subcommand("create", "Create a volume");
  create_cmd->add_option("volume", create->positional_name, "Volume name");
  create_cmd->add_option("--name", create->name, "Specify volume name");
  create_cmd->add_option("-d,--driver", create->driver, "Specify volume driver name");
  create_cmd->add_option("-o,--opt", create->options, "Set driver specific options")
      ->allow_extra_args(false);
  create_cmd->add_option("--label", create->labels, "Set metadata for a volume")
      ->allow_extra_args(false);
  create_cmd->callback(
      [&env, create] { run_command(env, [&] { return create_volume(env, *create); }); });

  auto rm = std::make_shared<std::pair<std::vector<std::string>, bool>>();
  auto* rm_cmd = group->add_subcommand("rm", "Remove one or more volumes");
  rm_cmd->alias("remove");
  rm_cmd->add_option("volumes", rm->first, "Volumes")->required();
  rm_cmd->add_flag("-f,--force", rm->second, "Force the removal of one or more volumes");
  rm_cmd->callback(
      [&env, rm] { run_command(env, [&] { return remove_volumes(env, rm->first, rm->second); }); });

  auto prune = std::make_shared<PruneFlags>();
  auto* prune_cmd = group->add_subcommand("prune", "Remove unused local volumes");
  prune_cmd->add_flag("-a,--all", prune->all, "Remove all unused volumes, not just anonymous ones");
  prune_cmd->add_flag("-f,--force", prune->force, "Do not prompt for confirmation");
  prune_cmd->add_option("--filter", prune->filters, "Provide filter values")
      ->allow_extra_args(false);
  prune_cmd->callback(
      [&env, prune] { run_command(env, [&] { return prune_volumes_command(env, *prune); }); });
}

}  // namespace berth::cli::client
