// berth image prune and system prune: docker's warnings, confirmation, order and output.
#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/prune_reports.hpp"

namespace berth::cli::client {

namespace {

struct PruneFlags {
  bool all = false, force = false, volumes = false;
  std::vector<std::string> filters;
};

int prune_images_command(ClientEnv& env, const PruneFlags& flags) {
  const std::string warning =
      flags.all ? "WARNING! This will remove all images without at least one container "
                  "associated to them.\nAre you sure you want to continue?"
                : "WARNING! This will remove all dangling images.\nAre you sure you want to "
                  "continue?";
  if (!flags.force && !confirmed(env, warning)) return 0;
  const auto report = prune_images(env, flags.all, flags.filters);
  print_prune_result(env, report);
  return 0;
}

// docker's confirmationTemplate for system prune.
std::string system_prune_warning(const PruneFlags& flags) {
  std::string text =
      "WARNING! This will remove:\n  - all stopped containers\n"
      "  - all networks not used by at least one container\n";
  if (flags.volumes) text += "  - all anonymous volumes not used by at least one container\n";
  text += flags.all ? "  - all images without at least one container associated to them\n"
                    : "  - all dangling images\n";
  text += flags.all ? "  - all build cache\n" : "  - unused build cache\n";
  if (!flags.filters.empty()) {
    text += "\n  Items to be pruned will be filtered with:\n";
    for (const auto& f : flags.filters) text += "  - " + f + "\n";
  }
  return text + "\nAre you sure you want to continue?";
}

int prune_system_command(ClientEnv& env, const PruneFlags& flags) {
  if (!flags.force && !confirmed(env, system_prune_warning(flags))) return 0;
  std::int64_t total = 0;
  auto show = [&](const PruneReport& report) {
    print_deleted(env, report);
    total += report.reclaimed;
  };
  // docker's order: what uses images goes before the images.
  show(prune_containers(env, flags.filters));
  show(prune_networks(env, flags.filters));
  if (flags.volumes) show(prune_volumes(env, false, flags.filters));
  show(prune_images(env, flags.all, flags.filters));
  show(prune_build_cache(env, flags.all, flags.filters));
  env.out() << total_reclaimed_line(total) << "\n";
  return 0;
}

}  // namespace

void add_image_prune_command(CLI::App& image_group, ClientEnv& env) {
  auto flags = std::make_shared<PruneFlags>();
  auto* cmd = image_group.add_subcommand("prune", "Remove unused images");
  cmd->add_flag("-a,--all", flags->all, "Remove all unused images, not just dangling ones");
  cmd->add_flag("-f,--force", flags->force, "Do not prompt for confirmation");
  cmd->add_option("--filter", flags->filters, "Provide filter values (e.g. \"until=<timestamp>\")")
      ->allow_extra_args(false);
  cmd->callback(
      [&env, flags] { run_command(env, [&] { return prune_images_command(env, *flags); }); });
}

void add_system_prune_command(CLI::App& system_group, ClientEnv& env) {
  auto flags = std::make_shared<PruneFlags>();
  auto* cmd = system_group.add_subcommand("prune", "Remove unused data");
  cmd->add_flag("-a,--all", flags->all, "Remove all unused images not just dangling ones");
  cmd->add_flag("-f,--force", flags->force, "Do not prompt for confirmation");
  cmd->add_flag("--volumes", flags->volumes, "Prune anonymous volumes");
  cmd->add_option("--filter", flags->filters,
                  "Provide filter values (e.g. \"label=<key>=<value>\")")
      ->allow_extra_args(false);
  cmd->callback(
      [&env, flags] { run_command(env, [&] { return prune_system_command(env, *flags); }); });
}

}  // namespace berth::cli::client
