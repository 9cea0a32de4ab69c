// berth inspect / container inspect / image inspect: the engine's JSON as an indented array, or
// --format applied to each object.
#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "cli/client/go_template.hpp"

namespace berth::cli::client {

namespace {

struct InspectFlags {
  std::vector<std::string> names;
  std::string format, type;
  bool size = false;
};

// The object's JSON text, or "" when the engine has no such object of this kind.
std::string fetch(ClientEnv& env, const std::string& kind, const std::string& name, bool size) {
  const std::string path =
      kind == "image" ? "/images/" + url_encode(name) + "/json"
                      : "/containers/" + url_encode(name) + "/json" + (size ? "?size=1" : "");
  auto response = env.engine().call_unchecked("GET", path);
  if (response.status == 404) return "";
  if (response.status >= 400) {
    throw http::HttpStatusError(response.status,
                                http::error_message_from_body(response.status, response.body));
  }
  return response.body;
}

int run_inspect(ClientEnv& env, const InspectFlags& flags, const std::string& kind) {
  const std::string type = kind.empty() ? flags.type : kind;
  std::vector<std::string> found;
  std::vector<std::string> errors;
  for (const auto& name : flags.names) {
    std::string body;
    if (type.empty() || type == "container") body = fetch(env, "container", name, flags.size);
    if (body.empty() && (type.empty() || type == "image")) body = fetch(env, "image", name, false);
    if (body.empty()) {
      errors.push_back(type == "container"
                           ? "Error response from daemon: No such container: " + name
                       : type == "image" ? "Error response from daemon: No such image: " + name
                                         : "Error: No such object: " + name);
      continue;
    }
    found.push_back(body);
  }
  if (flags.format.empty()) {
    // ordered_json keeps the engine's field order, as docker prints the engine's bytes.
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    for (const auto& body : found) array.push_back(nlohmann::ordered_json::parse(body));
    env.out() << array.dump(4) << "\n";
  } else {
    for (const auto& body : found) {
      env.out() << render_go_template(flags.format, Json::parse(body)) << "\n";
    }
  }
  for (const auto& e : errors) env.err() << e << "\n";
  return errors.empty() ? 0 : kExitFailure;
}

}  // namespace

void add_inspect_command(CLI::App& parent, ClientEnv& env, const std::string& kind) {
  auto flags = std::make_shared<InspectFlags>();
  auto* cmd = parent.add_subcommand("inspect", "Return low-level information on objects");
  cmd->add_option("names", flags->names, "Names or IDs")->required();
  cmd->add_option("-f,--format", flags->format, "Format output using a Go template or json");
  if (kind.empty()) cmd->add_option("--type", flags->type, "Only inspect objects of this type");
  if (kind != "image") cmd->add_flag("-s,--size", flags->size, "Display total file sizes");
  cmd->callback(
      [&env, flags, kind] { run_command(env, [&] { return run_inspect(env, *flags, kind); }); });
}

}  // namespace berth::cli::client
