// berth ps / berth container ls: GET /containers/json rendered as docker renders it.
#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/container_rows.hpp"
#include "cli/client/human_units.hpp"

namespace berth::cli::client {

namespace {

struct PsFlags {
  bool all = false, quiet = false, no_trunc = false, size = false, latest = false;
  int last = -1;
  std::vector<std::string> filters;
  std::string format;
};

int run_ps(ClientEnv& env, const PsFlags& flags) {
  std::string query;
  auto add = [&](const std::string& param) { query += (query.empty() ? "?" : "&") + param; };
  const int limit = flags.latest ? 1 : flags.last;
  if (flags.all || limit > 0) add("all=1");
  if (limit > 0) add("limit=" + std::to_string(limit));
  if (flags.size && !flags.quiet) add("size=1");
  if (auto filters = filters_query(flags.filters); !filters.empty()) {
    add("filters=" + url_encode(filters));
  }
  auto list = env.engine().call_json("GET", "/containers/json" + query);
  std::vector<Json> rows;
  for (const auto& summary : list) rows.push_back(container_row(summary, !flags.no_trunc));
  if (flags.quiet) {
    for (const auto& row : rows) {
      env.out() << get_string(row, "ID") << "\n";
    }
    return 0;
  }
  env.out() << render_listing(flags.format, rows, container_listing_style(flags.size));
  return 0;
}

}  // namespace

void add_ps_command(CLI::App& parent, ClientEnv& env, bool grouped) {
  auto flags = std::make_shared<PsFlags>();
  auto* cmd = parent.add_subcommand(grouped ? "ls" : "ps", "List containers");
  if (grouped) cmd->alias("ps")->alias("list");
  cmd->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
  cmd->add_flag("-q,--quiet", flags->quiet, "Only display container IDs");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  cmd->add_flag("-s,--size", flags->size, "Display total file sizes");
  cmd->add_flag("-l,--latest", flags->latest, "Show the latest created container");
  cmd->add_option("-n,--last", flags->last, "Show n last created containers");
  cmd->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("--format", flags->format, "Format output: table, json or a Go template");
  cmd->callback([&env, flags] { run_command(env, [&] { return run_ps(env, *flags); }); });
}

}  // namespace berth::cli::client
