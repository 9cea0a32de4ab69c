// berth login and logout: credentials in docker's config file ($DOCKER_CONFIG/config.json or
// ~/.docker/config.json), checked by the engine (POST /auth) before they are stored, as docker
// does.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "cli/client/client_env.hpp"
#include "common/atomic_file.hpp"

namespace berth::cli::client {

namespace {

const char* kDefaultRegistry = "https://index.docker.io/v1/";

std::string config_path(ClientEnv& env) {
  if (auto dir = env.ctx.env("DOCKER_CONFIG"); dir && !dir->empty()) return *dir + "/config.json";
  return env.ctx.env("HOME").value_or("") + "/.docker/config.json";
}

// docker's registry.ConvertToHostname: "https://host:5000/v2/" → "host:5000".
std::string hostname_of(std::string address) {
  for (const char* scheme : {"http://", "https://"}) {
    if (address.starts_with(scheme)) address = address.substr(std::strlen(scheme));
  }
  return address.substr(0, address.find('/'));
}

std::string base64(const std::string& text) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8) |
                       static_cast<unsigned char>(text[i + 2]);
    for (int s : {18, 12, 6, 0}) out += table[(v >> s) & 63];
  }
  if (i < text.size()) {
    unsigned v = static_cast<unsigned char>(text[i]) << 16;
    if (i + 1 < text.size()) v |= static_cast<unsigned char>(text[i + 1]) << 8;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < text.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

nlohmann::ordered_json read_config(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return nlohmann::ordered_json::object();
  auto config = nlohmann::ordered_json::parse(read_file(path), nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    throw Error("loading config file " + path + ": not a JSON object");
  }
  return config;
}

void write_config(const std::string& path, const nlohmann::ordered_json& config) {
  ensure_directory(path.substr(0, path.rfind('/')), 0700);
  write_file_atomic(path, config.dump(1, '\t'), 0600);  // docker: MarshalIndent(.., "", "\t")
}

int logout(ClientEnv& env, const std::string& server) {
  std::string shown = server.empty() ? kDefaultRegistry : server;
  std::vector<std::string> keys = {shown};
  if (!server.empty() && server != kDefaultRegistry) {
    shown = hostname_of(server);
    keys = {shown, "http://" + shown, "https://" + shown};
  }
  env.out() << "Removing login credentials for " << shown << "\n";
  const std::string path = config_path(env);
  auto config = read_config(path);
  if (!config.contains("auths") || !config["auths"].is_object()) return 0;
  bool changed = false;
  for (const auto& key : keys) changed = config["auths"].erase(key) > 0 || changed;
  if (changed) write_config(path, config);
  return 0;
}

struct LoginFlags {
  std::string server, username, password;
  bool password_stdin = false;
};

int login(ClientEnv& env, LoginFlags flags) {
  if (flags.password_stdin) {
    if (!flags.password.empty()) {
      throw InvalidArgument("--password and --password-stdin are mutually exclusive");
    }
    if (flags.username.empty()) {
      throw InvalidArgument("Must provide --username with --password-stdin");
    }
    std::getline(*env.ctx.in, flags.password);
    while (!flags.password.empty() &&
           (flags.password.back() == '\n' || flags.password.back() == '\r'))
      flags.password.pop_back();
  }
  if (flags.username.empty() || flags.password.empty()) {
    // Prompting needs a terminal; berth asks only for what the flags left out.
    if (::isatty(0) != 1) {
      throw InvalidArgument("Cannot perform an interactive login from a non TTY device");
    }
    if (flags.username.empty()) {
      env.out() << "Username: " << std::flush;
      std::getline(*env.ctx.in, flags.username);
    }
    if (flags.password.empty()) {
      env.out() << "Password: " << std::flush;
      std::getline(*env.ctx.in, flags.password);
      env.out() << "\n";
    }
  }
  const std::string server = flags.server.empty() ? kDefaultRegistry : flags.server;
  const Json body{
      {"username", flags.username}, {"password", flags.password}, {"serveraddress", server}};
  env.engine().call_json("POST", "/auth", body.dump());
  const std::string path = config_path(env);
  auto config = read_config(path);
  config["auths"][flags.server.empty() ? server : hostname_of(server)] = {
      {"auth", base64(flags.username + ":" + flags.password)}};
  write_config(path, config);
  env.out() << "Login Succeeded\n";
  return 0;
}

}  // namespace

void add_login_commands(CLI::App& app, ClientEnv& env) {
  auto flags = std::make_shared<LoginFlags>();
  auto* login_cmd = app.add_subcommand("login", "Authenticate to a registry");
  login_cmd->add_option("server", flags->server, "Registry (default: Docker Hub)");
  login_cmd->add_option("-u,--username", flags->username, "Username");
  login_cmd->add_option("-p,--password", flags->password, "Password or Personal Access Token");
  login_cmd->add_flag("--password-stdin", flags->password_stdin,
                      "Take the Password or Personal Access Token from stdin");
  login_cmd->callback([&env, flags] { run_command(env, [&] { return login(env, *flags); }); });

  auto server = std::make_shared<std::string>();
  auto* logout_cmd = app.add_subcommand("logout", "Log out from a registry");
  logout_cmd->add_option("server", *server, "Registry (default: Docker Hub)");
  logout_cmd->callback([&env, server] { run_command(env, [&] { return logout(env, *server); }); });
}

}  // namespace berth::cli::client
