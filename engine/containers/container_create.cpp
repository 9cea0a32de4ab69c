// `docker create`: validates the request, merges the image's defaults, and writes the record.
// Nothing is created on disk until every check has passed, so a failed create leaves nothing
// behind.
#include <unistd.h>

#include <filesystem>
#include <random>
#include <regex>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/time_format.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/oci_mounts.hpp"
#include "engine/containers/oci_seccomp.hpp"
#include "engine/images/image_store.hpp"

namespace berth::engine {

namespace {

using nlohmann::json;

std::string random_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id(64, '0');
  for (auto& ch : id) ch = hex[rng() & 15];
  return id;
}

const std::vector<std::string>& adjectives() {
  static const std::vector<std::string> v = {
      "admiring", "brave",  "clever",   "dreamy",  "eager",    "focused", "gallant",  "happy",
      "jolly",    "keen",   "laughing", "modest",  "nifty",    "quirky",  "relaxed",  "serene",
      "stoic",    "tender", "upbeat",   "vibrant", "wizardly", "xenial",  "youthful", "zealous"};
  return v;
}
const std::vector<std::string>& surnames() {
  static const std::vector<std::string> v = {
      "agnesi", "babbage", "curie",    "darwin",  "euler",   "fermat",   "galois",  "hopper",
      "jepsen", "knuth",   "lovelace", "meitner", "noether", "pascal",   "ritchie", "shannon",
      "tesla",  "turing",  "volhard",  "wozniak", "yalow",   "zhukovsky"};
  return v;
}

// Env lists merge by variable name: the request's value wins over the image's.
json merge_env(const json& image_env, const json& user_env) {
  std::vector<std::string> out;
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  if (image_env.is_array())
    for (const auto& e : image_env) out.push_back(e.get<std::string>());
  if (user_env.is_array()) {
    for (const auto& e : user_env) {
      if (!e.is_string()) throw InvalidArgument("invalid environment variable: must be a string");
      const std::string kv = e.get<std::string>();
      if (kv.empty() || kv[0] == '=') throw InvalidArgument("invalid environment variable: " + kv);
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const std::string& x) { return key_of(x) == key_of(kv); });
      if (it != out.end())
        *it = kv;
      else
        out.push_back(kv);
    }
  }
  return out;
}

bool is_null_or_empty(const json& j) {
  return j.is_null() || (j.is_array() && j.empty()) ||
         (j.is_string() && j.get<std::string>().empty());
}

json as_string_array(const json& j, const char* field) {
  if (j.is_null()) return nullptr;
  if (j.is_string()) return json::array({j});
  if (!j.is_array()) throw InvalidArgument(std::string(field) + " must be a list of strings");
  for (const auto& e : j)
    if (!e.is_string()) throw InvalidArgument(std::string(field) + " must be a list of strings");
  return j;
}

void validate_host_config(const json& hc) {
  const std::string mode = hc.value("NetworkMode", "default");
  if (mode.starts_with("container:"))
    throw InvalidArgument("network mode " + mode + " is not supported yet");
  if (mode != "default" && mode != "bridge" && mode != "none" && mode != "host" && !mode.empty())
    throw NotFound(
        "network " + mode +
        " not found (berth offers bridge, host and none until user-defined networks arrive)");
  if (hc.contains("Binds") && hc["Binds"].is_array()) {
    for (const auto& b : hc["Binds"]) {
      const std::string bind = b.is_string() ? b.get<std::string>() : "";
      const auto colon = bind.find(':');
      if (bind.empty() || colon == std::string::npos)
        throw InvalidArgument("invalid volume specification: '" + bind + "'");
      const std::string src = bind.substr(0, colon);
      if (src.find('/') != std::string::npos && src.front() != '/')
        throw InvalidArgument(
            "create " + src + ": \"" + src +
            "\" includes invalid characters for a local volume name, only "
            "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a "
            "host directory, use absolute path");
      if (src.front() != '/')
        throw InvalidArgument("named volumes are not supported yet: '" + bind +
                              "' (use an absolute host path)");
      const std::string rest = bind.substr(colon + 1);
      const std::string dst = rest.substr(0, rest.find(':'));
      if (dst.empty() || dst.front() != '/')
        throw InvalidArgument("invalid volume specification: '" + bind +
                              "': mount path must be absolute");
    }
  }
  if (hc.contains("Mounts") && hc["Mounts"].is_array())
    for (const auto& m : hc["Mounts"]) parse_mount(m);  // throws naming a bad --mount
  const auto policy = hc.value("RestartPolicy", json::object());
  const std::string policy_name = policy.value("Name", "");
  static const std::vector<std::string> policies = {"", "no", "always", "unless-stopped",
                                                    "on-failure"};
  if (std::find(policies.begin(), policies.end(), policy_name) == policies.end())
    throw InvalidArgument("invalid restart policy '" + policy_name + "'");
  if (policy.value("MaximumRetryCount", 0) < 0)
    throw InvalidArgument("invalid restart policy: maximum retry count can't be negative");
  if (policy.value("MaximumRetryCount", 0) > 0 && policy_name != "on-failure")
    throw InvalidArgument(
        "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  if (hc.value("AutoRemove", false) && policy_name != "" && policy_name != "no")
    throw InvalidArgument("can't create 'AutoRemove' container with restart policy");
  const auto log_config = hc.value("LogConfig", json::object());
  const std::string driver = log_config.value("Type", "");
  if (driver != "" && driver != "json-file")
    throw InvalidArgument("logging driver " + driver +
                          " is not supported (berth writes json-file logs)");
  const int64_t memory = hc.value("Memory", int64_t{0});
  if (memory != 0 && memory < 6 * 1024 * 1024)
    throw InvalidArgument("Minimum memory limit allowed is 6MB");
  const int64_t nano_cpus = hc.value("NanoCpus", int64_t{0});
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (nano_cpus < 0 || nano_cpus > ncpu * 1'000'000'000LL)
    throw InvalidArgument("Range of CPUs is from 0.01 to " + std::to_string(ncpu) +
                          ".00, as there are only " + std::to_string(ncpu) + " CPUs available");
  if (hc.value("PidsLimit", int64_t{0}) < -1) throw InvalidArgument("invalid PidsLimit");
  parse_security_options(hc);  // throws naming a bad --security-opt or seccomp profile
  if (hc.contains("PortBindings") && hc["PortBindings"].is_object()) {
    static const std::regex port_key(R"(^(\d{1,5})(/(tcp|udp|sctp))?$)");
    for (const auto& [key, bindings] : hc["PortBindings"].items()) {
      if (!std::regex_match(key, port_key))
        throw InvalidArgument("invalid port specification: \"" + key + "\"");
      if (!bindings.is_array() && !bindings.is_null())
        throw InvalidArgument("invalid port bindings for " + key);
    }
  }
}

}  // namespace

std::string ContainerManager::unique_name_locked() const {
  static thread_local std::mt19937 rng{std::random_device{}()};
  for (;;) {
    const std::string name = "/" + adjectives()[rng() % adjectives().size()] + "_" +
                             surnames()[rng() % surnames().size()];
    if (!id_by_name_.contains(name)) return name;
  }
}

ContainerManager::Created ContainerManager::create(const std::string& requested_name,
                                                   const json& body) {
  if (!body.is_object()) throw InvalidArgument("container config must be a JSON object");
  static const std::regex valid_name(R"(^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$)");
  if (!requested_name.empty() && !std::regex_match(requested_name, valid_name))
    throw InvalidArgument("Invalid container name (" + requested_name +
                          "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  const std::string image_ref = body.value("Image", "");
  if (image_ref.empty()) throw InvalidArgument("no image specified: Config.Image is empty");
  const Image image = images_.get(image_ref);

  json host_config = body.value("HostConfig", json::object());
  if (host_config.is_null()) host_config = json::object();
  validate_host_config(host_config);

  // The container's config: the request over the image's defaults, as dockerd merges them.
  json config = body;
  config.erase("HostConfig");
  config.erase("NetworkingConfig");
  const json image_config = image.config.value("config", json::object());
  config["Env"] = merge_env(image_config.value("Env", json()), body.value("Env", json()));
  json cmd = as_string_array(body.value("Cmd", json()), "Cmd");
  json entrypoint = as_string_array(body.value("Entrypoint", json()), "Entrypoint");
  const bool entrypoint_given = body.contains("Entrypoint") && !body["Entrypoint"].is_null();
  if (!entrypoint_given) entrypoint = image_config.value("Entrypoint", json());
  // An explicit empty entrypoint (--entrypoint "") clears the image's, as with docker.
  if (entrypoint_given && entrypoint.is_array() && entrypoint.size() == 1 && entrypoint[0] == "")
    entrypoint = nullptr;
  if (is_null_or_empty(cmd) && !entrypoint_given) cmd = image_config.value("Cmd", json());
  config["Cmd"] = cmd;
  config["Entrypoint"] = entrypoint;
  if (config.value("WorkingDir", "").empty())
    config["WorkingDir"] = image_config.value("WorkingDir", "");
  if (config.value("User", "").empty()) config["User"] = image_config.value("User", "");
  if (config.value("StopSignal", "").empty() && image_config.contains("StopSignal"))
    config["StopSignal"] = image_config["StopSignal"];
  json labels = image_config.value("Labels", json::object());
  if (labels.is_null()) labels = json::object();
  if (body.contains("Labels") && body["Labels"].is_object())
    for (const auto& [k, v] : body["Labels"].items()) labels[k] = v;
  config["Labels"] = labels;
  json exposed = image_config.value("ExposedPorts", json::object());
  if (exposed.is_null()) exposed = json::object();
  if (body.contains("ExposedPorts") && body["ExposedPorts"].is_object())
    for (const auto& [k, v] : body["ExposedPorts"].items()) exposed[k] = v;
  if (host_config.contains("PortBindings") && host_config["PortBindings"].is_object())
    for (const auto& [k, v] : host_config["PortBindings"].items())
      exposed[k.find('/') == std::string::npos ? k + "/tcp" : k] = json::object();
  if (!exposed.empty()) config["ExposedPorts"] = exposed;
  config["Image"] = image_ref;
  if (config.value("StopSignal", "").size()) parse_signal(config["StopSignal"]);

  std::vector<std::string> argv;
  for (const auto* part : {&entrypoint, &cmd})
    if (part->is_array())
      for (const auto& a : *part) argv.push_back(a.get<std::string>());
  if (argv.empty()) throw InvalidArgument("no command specified");

  Container c;
  c.id = random_id();
  if (config.value("Hostname", "").empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    // With the host's network the container shows the host's name, as with docker.
    config["Hostname"] =
        host_config.value("NetworkMode", "") == "host" ? std::string(host) : c.id.substr(0, 12);
  }
  // Fields clients read back from inspect get docker's defaults (docker-py reads LogConfig.Type).
  if (!host_config.contains("LogConfig") || !host_config["LogConfig"].is_object() ||
      host_config["LogConfig"].value("Type", "").empty())
    host_config["LogConfig"] = {
        {"Type", "json-file"},
        {"Config", host_config.value("LogConfig", json::object()).value("Config", json::object())}};
  if (!host_config.contains("RestartPolicy") || !host_config["RestartPolicy"].is_object())
    host_config["RestartPolicy"] = {{"Name", "no"}, {"MaximumRetryCount", 0}};
  if (host_config["RestartPolicy"].value("Name", "").empty())
    host_config["RestartPolicy"]["Name"] = "no";
  c.created = rfc3339_nano(std::chrono::system_clock::now());
  c.image = image_ref;
  c.image_id = image.id;
  c.config = std::move(config);
  if (host_config.value("NetworkMode", "").empty()) host_config["NetworkMode"] = "default";
  c.host_config = std::move(host_config);
  c.path = argv.front();
  c.args.assign(argv.begin() + 1, argv.end());
  c.runtime = runtime_.info().name;

  auto entry = std::make_shared<Entry>();
  {
    std::lock_guard lock(mutex_);
    if (requested_name.empty()) {
      c.name = unique_name_locked();
    } else {
      c.name = requested_name.front() == '/' ? requested_name : "/" + requested_name;
      if (auto it = id_by_name_.find(c.name); it != id_by_name_.end())
        throw Conflict(
            "Conflict. The container name \"" + c.name + "\" is already in use by container \"" +
            it->second +
            "\". You have to remove (or rename) that container to be able to reuse that name.");
    }
    ensure_directory(container_dir(c.id), 0710);
    entry->c = c;
    // Nothing of an auto-remove container needs to outlive a power loss: it cannot be running
    // after one, and it would have been removed when it stopped. So its record does not wait for
    // the disk (an fsync of file and directory, 0.5 ms and more of every `docker run --rm`); the
    // rename still keeps it whole if berthd dies.
    save(c, c.host_config.value("AutoRemove", false) ? Durability::renamed : Durability::synced);
    by_id_[c.id] = entry;
    id_by_name_[c.name] = c.id;
  }
  publish(c, "create");
  return {c.id, {}};
}

}  // namespace berth::engine
