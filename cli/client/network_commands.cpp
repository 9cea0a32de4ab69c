// berth network ls/inspect/create/rm/prune/connect/disconnect with docker's flags and output.
// berthd refuses user-defined networks for now; its messages are printed as docker prints them.
#include <algorithm>

#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/human_units.hpp"
#include "cli/client/inspect_output.hpp"
#include "cli/client/listing.hpp"
#include "cli/client/prune_reports.hpp"

namespace berth::cli::client {

namespace {

std::string labels_text(const Json& object) {
  std::string text;
  for (const auto& [k, v] : get_string_map(object, "Labels")) {
    text += (text.empty() ? "" : ",") + k + "=" + v;
  }
  return text;
}

struct ListFlags {
  bool quiet = false, no_trunc = false;
  std::string format;
  std::vector<std::string> filters;
};

int list_networks(ClientEnv& env, const ListFlags& flags) {
  std::string query;
  if (auto f = filters_query(flags.filters); !f.empty()) query = "?filters=" + url_encode(f);
  auto networks = env.engine().call_json("GET", "/networks" + query);
  std::vector<Json> sorted(networks.begin(), networks.end());
  std::sort(sorted.begin(), sorted.end(), [](const Json& a, const Json& b) {
    return get_string(a, "Name") < get_string(b, "Name");
  });
  std::vector<Json> rows;
  for (const auto& n : sorted) {
    const std::string id = get_string(n, "Id");
    rows.push_back(Json{{"ID", flags.no_trunc ? id : short_id(id)},
                        {"Name", get_string(n, "Name")},
                        {"Driver", get_string(n, "Driver")},
                        {"Scope", get_string(n, "Scope")},
                        {"IPv6", get_bool(n, "EnableIPv6") ? "true" : "false"},
                        {"Internal", get_bool(n, "Internal") ? "true" : "false"},
                        {"Labels", labels_text(n)},
                        {"CreatedAt", get_string(n, "Created")}});
  }
  if (flags.quiet && flags.format.empty()) {
    for (const auto& row : rows) env.out() << get_string(row, "ID") << "\n";
    return 0;
  }
  static const ListingStyle style{"table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
                                  {{"ID", "NETWORK ID"},
                                   {"Name", "NAME"},
                                   {"Driver", "DRIVER"},
                                   {"Scope", "SCOPE"},
                                   {"IPv6", "IPV6"},
                                   {"Internal", "INTERNAL"},
                                   {"Labels", "LABELS"},
                                   {"CreatedAt", "CREATED AT"}}};
  env.out() << render_listing(flags.format, rows, style);
  return 0;
}

struct CreateFlags {
  std::string name, driver = "bridge", ipam_driver = "default";
  std::vector<std::string> subnets, gateways, ip_ranges, options, labels;
  bool internal = false, attachable = false, ipv6 = false;
};

Json key_values(const std::vector<std::string>& items) {
  Json map = Json::object();
  for (const auto& item : items) {
    const auto eq = item.find('=');
    map[item.substr(0, eq)] = eq == std::string::npos ? "" : item.substr(eq + 1);
  }
  return map;
}

int create_network(ClientEnv& env, const CreateFlags& f) {
  if (f.gateways.size() > f.subnets.size() || f.ip_ranges.size() > f.subnets.size()) {
    throw InvalidArgument("every ip-range or gateway must have a corresponding subnet");
  }
  Json configs = Json::array();
  for (std::size_t i = 0; i < f.subnets.size(); ++i) {
    Json c{{"Subnet", f.subnets[i]}};
    if (i < f.ip_ranges.size()) c["IPRange"] = f.ip_ranges[i];
    if (i < f.gateways.size()) c["Gateway"] = f.gateways[i];
    configs.push_back(c);
  }
  // The body docker sends (captured in reference/docker-cli-requests.md, "net").
  Json body{{"Name", f.name},
            {"Driver", f.driver},
            {"Scope", ""},
            {"IPAM", {{"Driver", f.ipam_driver}, {"Options", Json::object()}, {"Config", configs}}},
            {"Internal", f.internal},
            {"Attachable", f.attachable},
            {"Ingress", false},
            {"ConfigOnly", false},
            {"ConfigFrom", nullptr},
            {"Options", key_values(f.options)},
            {"Labels", key_values(f.labels)}};
  if (f.ipv6) body["EnableIPv6"] = true;
  auto created = env.engine().call_json("POST", "/networks/create", body.dump());
  if (auto warning = get_string(created, "Warning"); !warning.empty()) {
    env.err() << "WARNING: " << warning << "\n";
  }
  env.out() << get_string(created, "Id") << "\n";
  return 0;
}

int remove_networks(ClientEnv& env, const std::vector<std::string>& names, bool force) {
  const int status = for_each_name(env, names, [&](const std::string& name) -> std::string {
    try {
      env.engine().call("DELETE", "/networks/" + url_encode(name));
    } catch (const http::HttpStatusError& e) {
      if (force && e.status() == 404) return "";  // -f: a missing network is no failure
      throw;
    }
    return name;
  });
  // docker's network rm ends a failure with a bare StatusError, which it prints so.
  if (status != 0) env.err() << "exit status " << status << "\n";
  return status;
}

struct ConnectFlags {
  std::string network, container, ip, ip6;
  std::vector<std::string> aliases, links, driver_opts;
  bool force = false;
};

int connect_network(ClientEnv& env, const ConnectFlags& f) {
  Json endpoint = Json::object();
  if (!f.ip.empty() || !f.ip6.empty()) {
    endpoint["IPAMConfig"] = {{"IPv4Address", f.ip}, {"IPv6Address", f.ip6}};
  }
  if (!f.aliases.empty()) endpoint["Aliases"] = f.aliases;
  if (!f.links.empty()) endpoint["Links"] = f.links;
  if (!f.driver_opts.empty()) endpoint["DriverOpts"] = key_values(f.driver_opts);
  Json body{{"Container", f.container}, {"EndpointConfig", endpoint}};
  env.engine().call("POST", "/networks/" + url_encode(f.network) + "/connect", body.dump());
  return 0;
}

int disconnect_network(ClientEnv& env, const ConnectFlags& f) {
  Json body{{"Container", f.container}, {"Force", f.force}};
  env.engine().call("POST", "/networks/" + url_encode(f.network) + "/disconnect", body.dump());
  return 0;
}

int prune_networks_command(ClientEnv& env, bool force, const std::vector<std::string>& filters) {
  if (!force && !confirmed(env,
                           "WARNING! This will remove all custom networks not used by at least "
                           "one container.\nAre you sure you want to continue?")) {
    return 0;
  }
  // docker prints the list only: networks free no space worth counting.
  const auto report = prune_networks(env, filters);
  print_deleted(env, report);
  return 0;
}

}  // namespace

void add_network_commands(CLI::App& app, ClientEnv& env) {
  auto* group = app.add_subcommand("network", "Manage networks");
  group->require_subcommand(1);

  auto list = std::make_shared<ListFlags>();
  auto* ls = group->add_subcommand("ls", "List networks");
  ls->alias("list");
  ls->add_flag("-q,--quiet", list->quiet, "Only display network IDs");
  ls->add_flag("--no-trunc", list->no_trunc, "Do not truncate the output");
  ls->add_option("--format", list->format, "Format output: table, json or a Go template");
  ls->add_option("-f,--filter", list->filters, "Provide filter values (e.g. \"driver=bridge\")")
      ->allow_extra_args(false);
  ls->callback([&env, list] { run_command(env, [&] { return list_networks(env, *list); }); });

  auto inspect = std::make_shared<std::pair<std::vector<std::string>, std::string>>();
  auto* inspect_cmd = group->add_subcommand("inspect", "Display detailed information on networks");
  inspect_cmd->add_option("networks", inspect->first, "Networks")->required();
  inspect_cmd->add_option("-f,--format", inspect->second, "Format output using a Go template");
  auto verbose = std::make_shared<bool>(false);
  inspect_cmd->add_flag("-v,--verbose", *verbose, "Verbose output for diagnostics (accepted)");
  inspect_cmd->callback([&env, inspect, verbose] {
    run_command(env,
                [&] { return inspect_named(env, "/networks/", inspect->first, inspect->second); });
  });

  auto create = std::make_shared<CreateFlags>();
  auto* create_cmd = group->add_subcommand("create", "Create a network");
  create_cmd->add_option("name", create->name, "Network name")->required();
  create_cmd->add_option("-d,--driver", create->driver, "Driver to manage the Network");
  create_cmd->add_option("--ipam-driver", create->ipam_driver, "IP Address Management Driver");
  create_cmd->add_option("--subnet", create->subnets, "Subnet in CIDR format")
      ->allow_extra_args(false);
  create_cmd->add_option("--gateway", create->gateways, "IPv4 or IPv6 Gateway for the subnet")
      ->allow_extra_args(false);
  create_cmd->add_option("--ip-range", create->ip_ranges, "Allocate container ip from a sub-range")
      ->allow_extra_args(false);
  create_cmd->add_option("-o,--opt", create->options, "Set driver specific options")
      ->allow_extra_args(false);
  create_cmd->add_option("--label", create->labels, "Set metadata on a network")
      ->allow_extra_args(false);
  create_cmd->add_flag("--internal", create->internal, "Restrict external access to the network");
  create_cmd->add_flag("--attachable", create->attachable, "Enable manual container attachment");
  create_cmd->add_flag("--ipv6", create->ipv6, "Enable or disable IPv6 networking");
  create_cmd->callback(
      [&env, create] { run_command(env, [&] { return create_network(env, *create); }); });

  auto rm = std::make_shared<std::pair<std::vector<std::string>, bool>>();
  auto* rm_cmd = group->add_subcommand("rm", "Remove one or more networks");
  rm_cmd->alias("remove");
  rm_cmd->add_option("networks", rm->first, "Networks")->required();
  rm_cmd->add_flag("-f,--force", rm->second, "Do not error if the network does not exist");
  rm_cmd->callback([&env, rm] {
    run_command(env, [&] { return remove_networks(env, rm->first, rm->second); });
  });

  auto prune = std::make_shared<std::pair<bool, std::vector<std::string>>>();
  auto* prune_cmd = group->add_subcommand("prune", "Remove all unused networks");
  prune_cmd->add_flag("-f,--force", prune->first, "Do not prompt for confirmation");
  prune_cmd->add_option("--filter", prune->second, "Provide filter values")
      ->allow_extra_args(false);
  prune_cmd->callback([&env, prune] {
    run_command(env, [&] { return prune_networks_command(env, prune->first, prune->second); });
  });

  auto connect = std::make_shared<ConnectFlags>();
  auto* connect_cmd = group->add_subcommand("connect", "Connect a container to a network");
  connect_cmd->add_option("network", connect->network, "Network")->required();
  connect_cmd->add_option("container", connect->container, "Container")->required();
  connect_cmd->add_option("--ip", connect->ip, "IPv4 address (e.g., \"172.30.100.104\")");
  connect_cmd->add_option("--ip6", connect->ip6, "IPv6 address (e.g., \"2001:db8::33\")");
  connect_cmd->add_option("--alias", connect->aliases, "Add network-scoped alias")
      ->allow_extra_args(false);
  connect_cmd->add_option("--link", connect->links, "Add link to another container")
      ->allow_extra_args(false);
  connect_cmd->add_option("--driver-opt", connect->driver_opts, "driver options for the network")
      ->allow_extra_args(false);
  connect_cmd->callback(
      [&env, connect] { run_command(env, [&] { return connect_network(env, *connect); }); });

  auto disconnect = std::make_shared<ConnectFlags>();
  auto* disconnect_cmd =
      group->add_subcommand("disconnect", "Disconnect a container from a network");
  disconnect_cmd->add_option("network", disconnect->network, "Network")->required();
  disconnect_cmd->add_option("container", disconnect->container, "Container")->required();
  disconnect_cmd->add_flag("-f,--force", disconnect->force,
                           "Force the container to disconnect from a network");
  disconnect_cmd->callback([&env, disconnect] {
    run_command(env, [&] { return disconnect_network(env, *disconnect); });
  });
}

}  // namespace berth::cli::client
