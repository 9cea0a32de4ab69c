// berth builds only the part of its command tree a command line names (client_env.cpp): every
// command of the full tree must still be there when it is the one named.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include "cli/client/client_env.hpp"
#include "cli/machine_command_env.hpp"

using namespace berth::cli;

namespace {

std::vector<std::string> top_level_names(const std::string& only) {
  CliContext context;
  MachineCommandEnv machines{context, std::nullopt};
  client::ClientEnv env{context, machines};
  CLI::App app{"berth"};
  client::add_client_commands(app, env, only);
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
    for (const auto& alias : sub->get_aliases()) names.push_back(alias);
  }
  return names;
}

}  // namespace

TEST_CASE("lazy registration finds every client command by its own name", "[cli][client]") {
  const auto all = top_level_names("");
  REQUIRE(all.size() > 30);
  for (const auto& name : all) {
    INFO("command " << name);
    const auto built = top_level_names(name);
    CHECK(std::find(built.begin(), built.end(), name) != built.end());
  }
  // The point of it: `berth ps` builds ps alone.
  CHECK(top_level_names("ps") == std::vector<std::string>{"ps"});
  CHECK(top_level_names("no-such-command").size() == all.size());
}
