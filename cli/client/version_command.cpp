// berth version: docker's Client:/Server: layout, or --format over {Client, Server}.
#include <sys/utsname.h>

#include <CLI/CLI.hpp>
#include <ctime>

#include "cli/client/client_env.hpp"
#include "cli/client/go_template.hpp"
#include "cli/client/tab_writer.hpp"
#include "common/time_format.hpp"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

namespace berth::cli::client {

namespace {

// Go's time.ANSIC ("Mon Jan  2 15:04:05 2006"), which docker shows for build times.
std::string ansic(const std::string& rfc3339) {
  try {
    auto t = std::chrono::system_clock::to_time_t(parse_rfc3339(rfc3339));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a %b %e %H:%M:%S %Y", &tm);
    return text;
  } catch (const std::exception&) {
    return rfc3339;
  }
}

std::string machine_arch() {
  utsname u{};
  ::uname(&u);
  const std::string m = u.machine;
  return m == "x86_64" ? "amd64" : m == "aarch64" ? "arm64" : m;
}

Json client_info(const std::string& api_version) {
  std::string built = std::string(__DATE__) + " " + __TIME__;
  return Json{{"Platform", {{"Name", ""}}},
              {"Version", BERTH_VERSION},
              {"ApiVersion", api_version},
              {"DefaultAPIVersion", kClientMaxApiVersion},
              {"GitCommit", ""},
              {"GoVersion", std::string("C++ (g++ ") + __VERSION__ + ")"},
              {"Os", "linux"},
              {"Arch", machine_arch()},
              {"BuildTime", built},
              {"Context", "default"}};
}

std::string detail(const Json& details, const char* key) {
  return details.is_object() ? go_value_text(details.value(key, Json(""))) : "";
}

std::string default_layout(const Json& client, const Json* server) {
  std::string text = "Client:";
  const auto& platform = client["Platform"]["Name"];
  if (!platform.get<std::string>().empty()) text += " " + platform.get<std::string>();
  text += "\n Version:\t" + get_string(client, "Version");
  text += "\n API version:\t" + get_string(client, "ApiVersion");
  if (get_string(client, "ApiVersion") != get_string(client, "DefaultAPIVersion")) {
    text += " (downgraded from " + get_string(client, "DefaultAPIVersion") + ")";
  }
  text += "\n Built with:\t" + get_string(client, "GoVersion");
  text += "\n Built:\t" + get_string(client, "BuildTime");
  text += "\n OS/Arch:\t" + get_string(client, "Os") + "/" + get_string(client, "Arch");
  text += "\n Context:\t" + get_string(client, "Context") + "\n";
  if (server == nullptr) return text;
  text += "\nServer:";
  if (const Json* p = find_field(*server, "Platform"); p && !get_string(*p, "Name").empty()) {
    text += " " + get_string(*p, "Name");
  }
  const Json* components = find_field(*server, "Components");
  for (const auto& component : components && components->is_array() ? *components : Json::array()) {
    const std::string name = get_string(component, "Name");
    const Json details = component.value("Details", Json::object());
    text += "\n " + name + ":";
    if (name == "Engine") {
      text += "\n  Version:\t" + get_string(component, "Version");
      text += "\n  API version:\t" + detail(details, "ApiVersion") + " (minimum version " +
              detail(details, "MinAPIVersion") + ")";
      text += "\n  Go version:\t" + detail(details, "GoVersion");
      text += "\n  Git commit:\t" + detail(details, "GitCommit");
      text += "\n  Built:\t" + ansic(detail(details, "BuildTime"));
      text += "\n  OS/Arch:\t" + detail(details, "Os") + "/" + detail(details, "Arch");
      text += "\n  Experimental:\t" + detail(details, "Experimental");
    } else {
      text += "\n  Version:\t" + get_string(component, "Version");
      if (details.is_object()) {
        for (const auto& [key, value] : details.items()) {
          text += "\n  " + key + ":\t" + go_value_text(value);
        }
      }
    }
  }
  return text + "\n";
}

int run_version(ClientEnv& env, const std::string& format) {
  std::optional<Json> server;
  std::exception_ptr failure;
  std::string api_version = kClientMaxApiVersion;
  try {
    auto& engine = env.engine();
    api_version = engine.api_version();
    server = engine.call_json("GET", "/version");
  } catch (const std::exception&) {
    failure = std::current_exception();
  }
  Json client = client_info(api_version);
  if (format.empty()) {
    env.out() << tabwrite(default_layout(client, server ? &*server : nullptr), {20, 1});
  } else {
    Json all{{"Client", client}, {"Server", server ? *server : Json()}};
    env.out() << (format == "json" ? all.dump() : render_go_template(format, all)) << "\n";
  }
  if (failure) std::rethrow_exception(failure);
  return 0;
}

}  // namespace

void add_version_commands(CLI::App& app, ClientEnv& env) {
  auto format = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("version", "Show the berth client and engine versions");
  cmd->add_option("-f,--format", *format, "Format output with a Go template or json");
  cmd->callback([&env, format] { run_command(env, [&] { return run_version(env, *format); }); });
}

}  // namespace berth::cli::client
