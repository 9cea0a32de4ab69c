#include "machine/ssh_engine_config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/json.hpp"

namespace berth::machine {

namespace {

// daemon.json keys berthd reads as lists: an --engine-opt for one of them adds to the list.
bool is_list_key(const std::string& key) {
  static const char* const lists[] = {"hosts", "labels", "insecure-registries", "registry-mirrors",
                                      "dns"};
  return std::find(std::begin(lists), std::end(lists), key) != std::end(lists);
}

std::pair<std::string, std::string> split_pair(const std::string& entry, const std::string& flag) {
  const auto eq = entry.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw InvalidArgument(
        flag + " \"" + entry + "\" is not KEY=VALUE (for example " + flag +
        (flag == "--engine-env" ? " HTTP_PROXY=http://proxy:3128" : " log-level=debug") + ")");
  }
  return {entry.substr(0, eq), entry.substr(eq + 1)};
}

}  // namespace

std::string render_daemon_json(const EngineOptions& engine) {
  Json config = {
      {"hosts", Json::array({"unix:///run/berth/berth.sock", "tcp://0.0.0.0:2376"})},
      {"tlsverify", true},
      {"tlscacert", std::string(kRemoteCertDir) + "/ca.pem"},
      {"tlscert", std::string(kRemoteCertDir) + "/server.pem"},
      {"tlskey", std::string(kRemoteCertDir) + "/server-key.pem"},
  };
  for (const auto& label : engine.labels) split_pair(label, "--engine-label");
  if (!engine.labels.empty()) config["labels"] = engine.labels;
  if (!engine.insecure_registries.empty()) {
    config["insecure-registries"] = engine.insecure_registries;
  }
  if (!engine.registry_mirrors.empty()) config["registry-mirrors"] = engine.registry_mirrors;
  for (const auto& opt : engine.opts) {
    auto [key, text] = split_pair(opt, "--engine-opt");
    Json value = text == "true" ? Json(true) : text == "false" ? Json(false) : Json(text);
    if (!config.contains(key)) {
      config[key] = is_list_key(key) ? Json::array({value}) : value;
    } else if (config[key].is_array()) {
      config[key].push_back(value);
    } else if (key.rfind("tls", 0) == 0) {
      // The TLS settings are what makes the machine answer only to the user's CA.
      throw InvalidArgument("--engine-opt " + opt + " would change the engine's TLS setup, " +
                            "which berth manages itself");
    } else {
      config[key] = Json::array({config[key], value});
    }
  }
  return config.dump(2) + "\n";
}

std::string render_engine_env(const EngineOptions& engine) {
  std::string out;
  for (const auto& entry : engine.env) {
    split_pair(entry, "--engine-env");
    out += entry + "\n";
  }
  return out;
}

std::vector<EngineConfigFile> certificate_files(const std::string& machine_dir) {
  std::vector<EngineConfigFile> files;
  const std::pair<const char*, int> certificates[] = {
      {"ca.pem", 0644}, {"server.pem", 0644}, {"server-key.pem", 0600}};
  for (const auto& [name, mode] : certificates) {
    const auto local = (std::filesystem::path(machine_dir) / name).string();
    std::ifstream in(local, std::ios::binary);
    if (!in) throw NotFound("the certificate file " + local + " does not exist or cannot be read");
    std::ostringstream data;
    data << in.rdbuf();
    files.push_back({std::string(kRemoteCertDir) + "/" + name, data.str(), mode});
  }
  return files;
}

std::vector<EngineConfigFile> engine_settings_files(const EngineOptions& engine) {
  return {{kRemoteDaemonJson, render_daemon_json(engine), 0600},
          {kRemoteEngineEnv, render_engine_env(engine), 0600}};
}

std::vector<EngineConfigFile> engine_config_files(const std::string& machine_dir,
                                                  const EngineOptions& engine) {
  auto files = certificate_files(machine_dir);
  for (auto& file : engine_settings_files(engine)) files.push_back(std::move(file));
  return files;
}

std::vector<std::string> engine_config_paths() {
  const std::string certs = kRemoteCertDir;
  return {certs + "/ca.pem", certs + "/server.pem", certs + "/server-key.pem", kRemoteDaemonJson,
          kRemoteEngineEnv};
}

std::map<std::string, std::string> first_boot_engine_files(const std::string& machine_dir,
                                                           const EngineOptions& engine) {
  std::map<std::string, std::string> files;
  const std::string prefix = std::string(kRemoteConfigDir) + "/";
  for (auto& file : engine_config_files(machine_dir, engine)) {
    files[file.path.substr(prefix.size())] = std::move(file.contents);
  }
  return files;
}

std::string os_pretty_name(const std::string& os_release) {
  std::istringstream in(os_release);
  std::string line;
  std::string pretty;
  std::string name;
  auto unquote = [](std::string v) {
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    return v;
  };
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) pretty = unquote(line.substr(12));
    if (line.rfind("NAME=", 0) == 0) name = unquote(line.substr(5));
  }
  return pretty.empty() ? name : pretty;
}

}  // namespace berth::machine
