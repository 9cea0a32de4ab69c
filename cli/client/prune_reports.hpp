#pragma once
// docker's prune calls (container, network, volume, image, build cache), each returning what the
// user is shown — the "Deleted …:" block — and the bytes freed, so that `system prune` can print
// them in docker's order and add up "Total reclaimed space".
#include <cstdint>
#include <string>
#include <vector>

#include "cli/client/client_env.hpp"

namespace berth::cli::client {

struct PruneReport {
  std::string output;  // "Deleted Containers:\nID\n" or "" when nothing went
  std::int64_t reclaimed = 0;
};

PruneReport prune_containers(ClientEnv& env, const std::vector<std::string>& filters);
PruneReport prune_networks(ClientEnv& env, const std::vector<std::string>& filters);
// `all`: named volumes too (volume prune -a), not only anonymous ones.
PruneReport prune_volumes(ClientEnv& env, bool all, const std::vector<std::string>& filters);
// `all`: every unused image (-a), else only dangling ones.
PruneReport prune_images(ClientEnv& env, bool all, const std::vector<std::string>& filters);
PruneReport prune_build_cache(ClientEnv& env, bool all, const std::vector<std::string>& filters);

// docker's command.PromptForConfirmation: prints `warning` and " [y/N] ", true for y/Y.
bool confirmed(ClientEnv& env, const std::string& warning);

// "Total reclaimed space: 1.2MB".
std::string total_reclaimed_line(std::int64_t bytes);

// The report's "Deleted …:" block as docker prints it (Fprintln: a non-empty block ends with an
// empty line), nothing when nothing went.
void print_deleted(ClientEnv& env, const PruneReport& report);
// The block, then "Total reclaimed space": what `container/image/volume prune` print.
void print_prune_result(ClientEnv& env, const PruneReport& report);

}  // namespace berth::cli::client
