// `docker create`: validates the request, merges the image's defaults, and writes the record.
// Nothing is created on disk until every check has passed, so a failed create leaves nothing
// behind.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/time_format.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/health.hpp"
#include "engine/containers/log_options.hpp"
#include "engine/containers/oci_mounts.hpp"
#include "engine/containers/oci_seccomp.hpp"
#include "engine/containers/oci_spec.hpp"
#include "engine/containers/resource_support.hpp"
#include "engine/containers/runtime.hpp"
#include "engine/containers/update_resources.hpp"
#include "engine/images/image_store.hpp"
#include "engine/network/ipam.hpp"

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

// dockerd's merge: the request's Env keeps its order, and the image's variables the request does
// not set follow it.
json merge_env(const json& image_env, const json& user_env) {
  std::vector<std::string> out;
  auto key_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  if (user_env.is_array()) {
    for (const auto& e : user_env) {
      if (!e.is_string()) throw InvalidArgument("invalid environment variable: must be a string");
      const std::string kv = e.get<std::string>();
      if (kv.empty() || kv[0] == '=') throw InvalidArgument("invalid environment variable: " + kv);
      out.push_back(kv);
    }
  }
  const size_t user_count = out.size();
  if (image_env.is_array())
    for (const auto& e : image_env) {
      const std::string kv = e.get<std::string>();
      const auto end = out.begin() + static_cast<std::ptrdiff_t>(user_count);
      if (std::none_of(out.begin(), end,
                       [&](const std::string& x) { return key_of(x) == key_of(kv); }))
        out.push_back(kv);
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

// The one limit rule of create alone (update keeps a stored memory limit); the others are
// verify_resources', shared with docker update.
void validate_swap_needs_memory(const json& hc) {
  if (hc.value("Memory", int64_t{0}) == 0 && hc.value("MemorySwap", int64_t{0}) > 0)
    throw InvalidArgument(
        "You should always set the Memory limit when using Memoryswap limit, see usage");
}

// The options dockerd's json-file driver knows; any other is refused at create, as dockerd does.
void validate_log_options(const json& log_config) {
  static const std::set<std::string> known = {"max-file",     "max-size", "compress",  "labels",
                                              "labels-regex", "env",      "env-regex", "tag"};
  const json options = log_config.value("Config", json::object());
  if (!options.is_object()) return;
  check_log_mode(options);
  for (const auto& [key, _] : options.items())
    if (!known.contains(key) && key != "mode" && key != "max-buffer-size")
      throw InvalidArgument("unknown log opt '" + key + "' for json-file log driver");
}

void validate_restart_policy(const json& hc) {
  const auto policy = hc.value("RestartPolicy", json::object());
  const std::string name = policy.value("Name", "");
  static const std::vector<std::string> policies = {"", "no", "always", "unless-stopped",
                                                    "on-failure"};
  if (std::find(policies.begin(), policies.end(), name) == policies.end())
    throw InvalidArgument("invalid restart policy '" + name + "'");
  const int retries = policy.value("MaximumRetryCount", 0);
  if (retries < 0) throw InvalidArgument("maximum retry count cannot be negative");
  if (retries > 0 && name != "on-failure")
    throw InvalidArgument("maximum retry count cannot be used with restart policy '" + name + "'");
  if (hc.value("AutoRemove", false) && name != "" && name != "no")
    throw InvalidArgument("can't create 'AutoRemove' container with restart policy");
}

// --ipc: dockerd's modes; container:<name> is checked against the donor when the container starts.
void validate_namespace_modes(const json& hc) {
  const std::string ipc = hc.value("IpcMode", "");
  static const std::set<std::string> ipc_modes = {"", "none", "private", "shareable", "host"};
  if (!ipc_modes.contains(ipc) && !ipc.starts_with("container:"))
    throw InvalidArgument("Invalid IPC mode: " + ipc);
  if (ipc == "container:") throw InvalidArgument("Invalid IPC mode: " + ipc);
  const std::string pid = hc.value("PidMode", "");
  if (pid != "" && pid != "host" && !pid.starts_with("container:"))
    throw InvalidArgument("invalid PID mode: " + pid);
  if (pid == "container:") throw InvalidArgument("invalid PID mode: " + pid);
}

// Options berth does not implement yet are refused by name rather than ignored.
void refuse_unsupported(const json& body, const json& hc) {
  const json volumes = body.value("Volumes", json());
  if (volumes.is_object() && !volumes.empty())
    throw InvalidArgument("anonymous volumes are not supported yet: -v " + volumes.begin().key() +
                          " (give a host directory: -v /host/dir:" + volumes.begin().key() + ")");
  const std::string mode = hc.value("NetworkMode", "default");
  const bool default_bridge = mode == "default" || mode == "bridge" || mode.empty();
  const json endpoints =
      body.value("NetworkingConfig", json::object()).value("EndpointsConfig", json::object());
  if (!endpoints.is_object()) return;
  for (const auto& [name, endpoint] : endpoints.items()) {
    if (!endpoint.is_object()) continue;
    const json ipam = endpoint.value("IPAMConfig", json::object());
    const bool wants_ip = ipam.is_object() && (!ipam.value("IPv4Address", "").empty() ||
                                               !ipam.value("IPv6Address", "").empty());
    if (wants_ip && default_bridge)
      throw InvalidArgument("user specified IP address is supported on user defined networks only");
    if (ipam.is_object() && ipam.contains("LinkLocalIPs") && ipam["LinkLocalIPs"].is_array() &&
        !ipam["LinkLocalIPs"].empty())
      throw InvalidArgument("link-local addresses (--link-local-ip) are not supported yet");
    const json driver_options = endpoint.value("DriverOpts", json::object());
    if (driver_options.is_object() && !driver_options.empty())
      throw InvalidArgument("network endpoint driver options are not supported yet: " +
                            driver_options.begin().key());
  }
}

// --mac-address: in Config.MacAddress from clients of API < 1.44, in the network's endpoint
// settings from newer ones. Checked as dockerd checks it and returned in one form (lower case,
// colons), or "" when none is asked for.
std::string requested_mac_address(const json& body, const json& hc) {
  std::string text = body.value("MacAddress", "");
  const json endpoints =
      body.value("NetworkingConfig", json::object()).value("EndpointsConfig", json::object());
  if (endpoints.is_object())
    for (const auto& [name, endpoint] : endpoints.items())
      if (endpoint.is_object() && !endpoint.value("MacAddress", "").empty())
        text = endpoint.value("MacAddress", "");
  if (text.empty()) return "";
  const auto mac = parse_mac(text);
  if (!mac) throw InvalidArgument("invalid MAC address " + text);
  const std::string mode = hc.value("NetworkMode", "default");
  if (mode == "host" || mode.starts_with("container:"))
    throw InvalidArgument("conflicting options: mac-address and the network mode");
  return format_mac(*mac);
}

// What this engine has no way to give, refused in dockerd's words rather than ignored.
void refuse_unsupported_host_features(const json& hc) {
  if (const std::string runtime = hc.value("Runtime", "");
      !runtime.empty() && runtime != "runc" && runtime != "crun")
    throw InvalidArgument("Unknown runtime specified " + runtime);
  if (const json* requests = find_field(hc, "DeviceRequests");
      requests && requests->is_array() && !requests->empty()) {
    // --gpus: no device driver here. dockerd prints the capabilities as Go prints [][]string.
    const json& request = requests->front();
    std::string caps = "[";
    for (const auto& set : request.value("Capabilities", json::array())) {
      std::string words;
      for (const auto& cap : set) words += (words.empty() ? "" : " ") + cap.get<std::string>();
      caps += (caps.size() > 1 ? " [" : "[") + words + "]";
    }
    throw InvalidArgument("could not select device driver \"" + request.value("Driver", "") +
                          "\" with capabilities: " + caps + "]");
  }
  if (const std::string isolation = hc.value("Isolation", "");
      !isolation.empty() && isolation != "default")
    throw InvalidArgument("Invalid isolation: \"" + isolation +
                          "\" - linux only supports 'default'");
  if (const json* storage = find_field(hc, "StorageOpt");
      storage && storage->is_object() && !storage->empty())
    throw InvalidArgument(
        "--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
  if (const int64_t adj = hc.value("OomScoreAdj", int64_t{0}); adj < -1000 || adj > 1000)
    throw InvalidArgument("Invalid value " + std::to_string(adj) +
                          ", range for oom score adj is [-1000, 1000]");
}

// --network container:X shares X's network, its name and its hosts files (and --uts host the
// host's name): what would change those is refused, in dockerd's words.
void check_container_network_mode(const json& body, const json& hc) {
  if (hc.value("UTSMode", "") == "host" && !body.value("Hostname", "").empty())
    throw InvalidArgument("conflicting options: hostname and the UTS mode");
  const std::string mode = hc.value("NetworkMode", "default");
  if (!mode.starts_with("container:")) return;
  if (mode.size() == std::string("container:").size())
    throw InvalidArgument("Invalid network mode: invalid container format container:<name|id>");
  if (!body.value("Hostname", "").empty())
    throw InvalidArgument("conflicting options: hostname and the network mode");
  if (!get_string_array(hc, "Dns").empty())
    throw InvalidArgument("conflicting options: dns and the network mode");
  if (!get_string_array(hc, "ExtraHosts").empty())
    throw InvalidArgument("conflicting options: custom host-to-IP mapping and the network mode");
  const json* bindings = find_field(hc, "PortBindings");
  if ((bindings && bindings->is_object() && !bindings->empty()) ||
      hc.value("PublishAllPorts", false))
    throw InvalidArgument(
        "conflicting options: port publishing and the container type network mode");
  const json* exposed = find_field(body, "ExposedPorts");
  if (exposed && exposed->is_object() && !exposed->empty())
    throw InvalidArgument("conflicting options: port exposing and the container type network mode");
}

void validate_host_config(const json& hc) {
  // Any other name is looked up when the container starts ("network X not found", 404), as
  // dockerd does: a 404 here would make the CLI try to pull the image.
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
  check_user_mounts(hc);  // as dockerd, a bad mode or a doubled destination fails the create
  validate_restart_policy(hc);
  const auto log_config = hc.value("LogConfig", json::object());
  const std::string driver = log_config.value("Type", "");
  if (driver != "" && driver != "json-file" && driver != "none")
    throw InvalidArgument("logging driver " + driver +
                          " is not supported (berth writes json-file logs, or none)");
  if (driver != "none") validate_log_options(log_config);
  validate_swap_needs_memory(hc);
  verify_resources(hc, host_cpuset());
  validate_namespace_modes(hc);
  if (hc.value("PidsLimit", int64_t{0}) < -1) throw InvalidArgument("invalid PidsLimit");
  parse_security_options(hc);  // throws naming a bad --security-opt or seccomp profile
  refuse_unsupported_host_features(hc);
  for (const auto& [destination, options] : get_string_map(hc, "Tmpfs"))
    check_tmpfs_options(options);
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

// --pid/--ipc container:X and --volumes-from X name other containers: each must exist (dockerd
// answers 400: a 404 would make the CLI try to pull the image). --link: requested_links.
void check_referenced_containers(const json& hc,
                                 const std::function<void(const std::string&)>& must_exist) {
  auto exists = [&](const std::string& ref) {
    try {
      must_exist(ref);
    } catch (const NotFound& ex) {
      throw InvalidArgument(ex.what());
    }
  };
  for (const char* field : {"PidMode", "IpcMode"}) {
    const std::string mode = hc.value(field, "");
    if (mode.starts_with("container:")) exists(mode.substr(10));
  }
  for (const auto& entry : get_string_array(hc, "VolumesFrom")) {
    const auto colon = entry.find(':');
    const std::string mode = colon == std::string::npos ? "" : entry.substr(colon + 1);
    if (mode != "" && mode != "ro" && mode != "rw")
      throw InvalidArgument("invalid mode for volumes-from: " + mode);
    exists(entry.substr(0, colon));
  }
}

// What dockerd records for options left unset, so inspect shows the values in force.
void apply_host_config_defaults(json& hc, const std::string& runtime_name) {
  if (hc.value("ShmSize", int64_t{0}) <= 0) hc["ShmSize"] = kDefaultShmSizeBytes;
  if (hc.value("IpcMode", "").empty()) hc["IpcMode"] = "private";
  if (hc.value("CgroupnsMode", "").empty())
    hc["CgroupnsMode"] = detect_cgroups().version == 2 ? "private" : "host";
  if (!hc.value("Privileged", false)) {
    if (!hc.contains("MaskedPaths") || !hc["MaskedPaths"].is_array())
      hc["MaskedPaths"] = default_masked_paths();
    if (!hc.contains("ReadonlyPaths") || !hc["ReadonlyPaths"].is_array())
      hc["ReadonlyPaths"] = default_readonly_paths();
  }
  if (hc.value("Runtime", "").empty()) hc["Runtime"] = runtime_name;
  // A memory limit alone allows as much swap again: dockerd stores the total it puts in the cgroup.
  if (const int64_t memory = hc.value("Memory", int64_t{0});
      memory > 0 && hc.value("MemorySwap", int64_t{0}) == 0)
    hc["MemorySwap"] = memory * 2;
  // No pids limit is null, never 0 or -1, as dockerd stores it.
  if (const json* pids = find_field(hc, "PidsLimit");
      !pids || !pids->is_number_integer() || pids->get<int64_t>() <= 0)
    hc["PidsLimit"] = nullptr;
  const json* swappiness = find_field(hc, "MemorySwappiness");
  if (!swappiness || (swappiness->is_number_integer() && swappiness->get<int64_t>() < 0))
    hc["MemorySwappiness"] = nullptr;
}

std::vector<std::string> create_warnings(const json& hc) {
  std::vector<std::string> warnings;
  const json* bindings = find_field(hc, "PortBindings");
  if (hc.value("NetworkMode", "") == "host" && bindings && bindings->is_object() &&
      !bindings->empty())
    warnings.push_back("Published ports are discarded when using host network mode");
  if (hc.value("OomKillDisable", false) && hc.value("Memory", int64_t{0}) == 0)
    warnings.push_back(
        "OOM killer is disabled for the container, but no memory limit is set, this can result in "
        "the system running out of resources.");
  return warnings;
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
  if (body.empty()) throw InvalidArgument("Config cannot be empty in order to create a container");
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
  check_container_network_mode(body, host_config);
  refuse_unsupported(body, host_config);
  check_referenced_containers(host_config, [this](const std::string& ref) { resolve(ref); });
  std::vector<ContainerLink> links = requested_links(host_config);
  // container:NAME is kept as the ID it names, as dockerd keeps it (a name that names nothing yet
  // fails when the container starts).
  if (const std::string mode = host_config.value("NetworkMode", ""); mode.starts_with("container:"))
    try {
      host_config["NetworkMode"] = "container:" + resolve(mode.substr(10));
    } catch (const NotFound&) {
    }
  host_config["Links"] = nullptr;  // inspect shows the recorded links (links_json)
  std::vector<std::string> warnings = create_warnings(host_config);
  for (auto& warning : discard_unsupported_resources(host_config))
    warnings.push_back(std::move(warning));

  // The container's config: the request over the image's defaults, as dockerd merges them.
  json config = body;
  config.erase("HostConfig");
  config.erase("NetworkingConfig");
  config.erase("MacAddress");
  if (const std::string mac = requested_mac_address(body, host_config); !mac.empty())
    config["MacAddress"] = mac;
  // Anonymous volumes are refused above: an empty set is shown as dockerd shows it, null.
  config["Volumes"] = nullptr;
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
  HealthConfig::from_config(config);  // a bad health check is refused now, not at start
  if (config.value("StopSignal", "").size()) parse_signal(config["StopSignal"]);

  std::vector<std::string> argv;
  for (const auto* part : {&entrypoint, &cmd})
    if (part->is_array())
      for (const auto& a : *part) argv.push_back(a.get<std::string>());
  if (argv.empty()) throw InvalidArgument("No command specified");

  Container c;
  c.id = random_id();
  const bool joins_network =
      host_config.value("NetworkMode", "").starts_with("container:");  // takes that one's name
  if (config.value("Hostname", "").empty() && !joins_network) {
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
  c.links = std::move(links);
  if (host_config.value("NetworkMode", "").empty()) host_config["NetworkMode"] = "default";
  c.host_config = std::move(host_config);
  c.path = argv.front();
  c.args.assign(argv.begin() + 1, argv.end());
  c.runtime = runtime_.info().name;
  apply_host_config_defaults(c.host_config, c.runtime);

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
    index_links_locked(c);
    id_by_name_[c.name] = c.id;
  }
  publish(c, "create");
  return {c.id, warnings};
}

}  // namespace berth::engine
