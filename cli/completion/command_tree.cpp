#include "cli/completion/command_tree.hpp"

#include <CLI/CLI.hpp>
#include <map>

namespace berth::cli::completion {

namespace {

void walk(const CLI::App& app, const std::string& path, std::vector<CommandSpec>& out) {
  CommandSpec spec;
  spec.path = path;
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_positional() && option->get_lnames().empty() && option->get_snames().empty()) {
      continue;
    }
    OptionSpec o;
    for (const auto& s : option->get_snames()) o.names.push_back("-" + s);
    for (const auto& l : option->get_lnames()) o.names.push_back("--" + l);
    if (o.names.empty() || o.names.back() == "--help") continue;
    o.takes_value = option->get_expected_max() > 0;  // a flag expects no value
    spec.options.push_back(std::move(o));
  }
  const auto subcommands =
      app.get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); });
  std::vector<std::pair<std::string, const CLI::App*>> children;
  for (const CLI::App* sub : subcommands) {
    // A hidden command (CLI11: empty group) is not offered, though it still works.
    if (sub->get_group().empty()) continue;
    spec.subcommands.push_back(sub->get_name());
    children.emplace_back(sub->get_name(), sub);
    // An alias ("container ls" for "container list") completes like the command itself.
    for (const auto& alias : sub->get_aliases()) {
      spec.subcommands.push_back(alias);
      children.emplace_back(alias, sub);
    }
  }
  out.push_back(std::move(spec));
  for (const auto& [name, sub] : children) {
    walk(*sub, path.empty() ? name : path + " " + name, out);
  }
}

}  // namespace

std::vector<CommandSpec> command_tree(const CLI::App& root) {
  std::vector<CommandSpec> out;
  walk(root, "", out);
  return out;
}

PositionalSpec positional_spec(const std::string& path) {
  // docker's grouped forms ("container rm", "image rm") take what their short forms take.
  std::string command = path;
  if (command.rfind("container ", 0) == 0) command = command.substr(10);
  static const std::map<std::string, PositionalSpec> known = {
      // containers, any number
      {"attach", {ArgumentKind::Container, true}},
      {"commit", {ArgumentKind::Container, true}},
      {"diff", {ArgumentKind::Container, true}},
      {"exec", {ArgumentKind::Container, true}},
      {"export", {ArgumentKind::Container, true}},
      {"inspect", {ArgumentKind::Container, false}},
      {"kill", {ArgumentKind::Container, false}},
      {"logs", {ArgumentKind::Container, true}},
      {"pause", {ArgumentKind::Container, false}},
      {"port", {ArgumentKind::Container, true}},
      {"rename", {ArgumentKind::Container, true}},
      {"restart", {ArgumentKind::Container, false}},
      {"rm", {ArgumentKind::Container, false}},
      {"start", {ArgumentKind::Container, false}},
      {"stats", {ArgumentKind::Container, false}},
      {"stop", {ArgumentKind::Container, false}},
      {"top", {ArgumentKind::Container, true}},
      {"unpause", {ArgumentKind::Container, false}},
      {"update", {ArgumentKind::Container, false}},
      {"wait", {ArgumentKind::Container, false}},
      // images
      {"run", {ArgumentKind::Image, true}},
      {"create", {ArgumentKind::Image, true}},
      {"rmi", {ArgumentKind::Image, false}},
      {"tag", {ArgumentKind::Image, true}},
      {"history", {ArgumentKind::Image, true}},
      {"save", {ArgumentKind::Image, false}},
      {"push", {ArgumentKind::Image, true}},
      {"image inspect", {ArgumentKind::Image, false}},
      {"image rm", {ArgumentKind::Image, false}},
      {"image tag", {ArgumentKind::Image, true}},
      {"image history", {ArgumentKind::Image, true}},
      {"image save", {ArgumentKind::Image, false}},
      {"image push", {ArgumentKind::Image, true}},
      // machines
      {"machine active", {ArgumentKind::None, false}},
      {"machine config", {ArgumentKind::Machine, true}},
      {"machine env", {ArgumentKind::Machine, true}},
      {"machine inspect", {ArgumentKind::Machine, false}},
      {"machine ip", {ArgumentKind::Machine, false}},
      {"machine kill", {ArgumentKind::Machine, false}},
      {"machine provision", {ArgumentKind::Machine, false}},
      {"machine regenerate-certs", {ArgumentKind::Machine, false}},
      {"machine restart", {ArgumentKind::Machine, false}},
      {"machine rm", {ArgumentKind::Machine, false}},
      {"machine ssh", {ArgumentKind::Machine, true}},
      {"machine start", {ArgumentKind::Machine, false}},
      {"machine status", {ArgumentKind::Machine, true}},
      {"machine stop", {ArgumentKind::Machine, false}},
      {"machine upgrade", {ArgumentKind::Machine, false}},
      {"machine url", {ArgumentKind::Machine, true}},
      {"machine version", {ArgumentKind::Machine, true}},
  };
  auto it = known.find(command);
  return it == known.end() ? PositionalSpec{} : it->second;
}

ArgumentKind option_value_kind(const std::string& option_name) {
  if (option_name == "--machine") return ArgumentKind::Machine;
  if (option_name == "--volumes-from") return ArgumentKind::Container;
  return ArgumentKind::None;
}

}  // namespace berth::cli::completion
