// berth images / berth image ls: GET /images/json rendered as docker renders it.
#include <CLI/CLI.hpp>
#include <set>

#include "cli/client/client_env.hpp"
#include "cli/client/image_rows.hpp"

namespace berth::cli::client {

namespace {

struct ImagesFlags {
  bool all = false, quiet = false, no_trunc = false, digests = false;
  std::vector<std::string> filters;
  std::string format;
  std::string reference;
};

int run_images(ClientEnv& env, const ImagesFlags& flags) {
  auto filters = flags.filters;
  if (!flags.reference.empty()) filters.push_back("reference=" + flags.reference);
  std::string query;
  auto add = [&](const std::string& param) { query += (query.empty() ? "?" : "&") + param; };
  if (flags.all) add("all=1");
  if (auto text = filters_query(filters); !text.empty()) add("filters=" + url_encode(text));
  auto list = env.engine().call_json("GET", "/images/json" + query);
  std::vector<Json> rows;
  for (const auto& image : list) {
    for (auto& row : image_rows(image, !flags.no_trunc)) rows.push_back(std::move(row));
  }
  if (flags.quiet) {
    std::set<std::string> seen;
    for (const auto& row : rows) {
      auto id = get_string(row, "ID");
      if (seen.insert(id).second) env.out() << id << "\n";
    }
    return 0;
  }
  env.out() << render_listing(flags.format, rows, image_listing_style(flags.digests));
  return 0;
}

}  // namespace

void add_images_command(CLI::App& parent, ClientEnv& env, bool grouped) {
  auto flags = std::make_shared<ImagesFlags>();
  auto* cmd = parent.add_subcommand(grouped ? "ls" : "images", "List images");
  if (grouped) cmd->alias("list");
  cmd->add_option("reference", flags->reference, "Only images matching this reference");
  cmd->add_flag("-a,--all", flags->all, "Show all images (default hides intermediate images)");
  cmd->add_flag("-q,--quiet", flags->quiet, "Only show image IDs");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  cmd->add_flag("--digests", flags->digests, "Show digests");
  cmd->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("--format", flags->format, "Format output: table, json or a Go template");
  cmd->callback([&env, flags] { run_command(env, [&] { return run_images(env, *flags); }); });
}

}  // namespace berth::cli::client
