#include "cli/client/container_flags.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <regex>

#include "common/error.hpp"

namespace berth::cli::client {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (auto at = text.find(separator); at != std::string::npos; at = text.find(separator, start)) {
    out.push_back(text.substr(start, at - start));
    start = at + 1;
  }
  out.push_back(text.substr(start));
  return out;
}

int parse_port_number(const std::string& text, const std::string& spec) {
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 0 || value > 65535) {
    throw InvalidArgument("invalid port \"" + text + "\" in \"" + spec + "\"");
  }
  return static_cast<int>(value);
}

std::pair<int, int> parse_range(const std::string& text, const std::string& spec) {
  auto dash = text.find('-');
  if (dash == std::string::npos) {
    int port = parse_port_number(text, spec);
    return {port, port};
  }
  int first = parse_port_number(text.substr(0, dash), spec);
  int last = parse_port_number(text.substr(dash + 1), spec);
  if (last < first) throw InvalidArgument("invalid port range \"" + text + "\"");
  return {first, last};
}

// -p [ip:][host-port(s):]container-port(s)[/proto], ip may be [v6].
void add_publish(const std::string& spec, Json& exposed, Json& bindings) {
  std::string rest = spec, proto = "tcp";
  if (auto slash = rest.rfind('/'); slash != std::string::npos) {
    proto = lower(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
  }
  std::string ip, host, container;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) throw InvalidArgument("invalid IP address in \"" + spec + "\"");
    ip = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest[0] == ':') rest = rest.substr(1);
    auto parts = split(rest, ':');
    if (parts.size() != 2) throw InvalidArgument("invalid publish spec \"" + spec + "\"");
    host = parts[0];
    container = parts[1];
  } else {
    auto parts = split(rest, ':');
    if (parts.size() == 1) {
      container = parts[0];
    } else if (parts.size() == 2) {
      host = parts[0];
      container = parts[1];
    } else if (parts.size() == 3) {
      ip = parts[0];
      host = parts[1];
      container = parts[2];
    } else {
      throw InvalidArgument("invalid publish spec \"" + spec + "\"");
    }
  }
  if (container.empty()) throw InvalidArgument("no port specified: " + spec + "<empty>");
  auto [cfirst, clast] = parse_range(container, spec);
  int hfirst = 0, hlast = 0;
  if (!host.empty()) std::tie(hfirst, hlast) = parse_range(host, spec);
  const bool host_range = !host.empty() && hfirst != hlast;
  if (!host.empty() && host_range && (clast - cfirst) != (hlast - hfirst) && clast != cfirst) {
    throw InvalidArgument("invalid ranges specified for container and host Ports: " + container +
                          " and " + host);
  }
  for (int port = cfirst; port <= clast; ++port) {
    const std::string key = std::to_string(port) + "/" + proto;
    exposed[key] = Json::object();
    std::string host_port;
    if (!host.empty()) {
      host_port = host_range && clast == cfirst ? host : std::to_string(hfirst + (port - cfirst));
    }
    bindings[key].push_back({{"HostIp", ip}, {"HostPort", host_port}});
  }
}

// --mount type=bind,source=/a,target=/b,readonly
Json parse_mount(const std::string& spec) {
  Json mount = Json::object();
  mount["Type"] = "volume";
  for (const auto& field : split(spec, ',')) {
    auto eq = field.find('=');
    const std::string key = lower(field.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (key == "type") {
      mount["Type"] = value;
    } else if (key == "source" || key == "src") {
      mount["Source"] = value;
    } else if (key == "target" || key == "destination" || key == "dst") {
      mount["Target"] = value;
    } else if (key == "readonly" || key == "ro") {
      mount["ReadOnly"] = value.empty() || value == "true" || value == "1";
    } else if (key == "tmpfs-size") {
      mount["TmpfsOptions"]["SizeBytes"] = parse_memory(value);
    } else if (key == "tmpfs-mode") {
      mount["TmpfsOptions"]["Mode"] = std::stoi(value, nullptr, 8);
    } else if (key == "bind-propagation") {
      mount["BindOptions"]["Propagation"] = value;
    } else {
      throw InvalidArgument("unexpected key '" + key + "' in '" + spec + "'");
    }
  }
  if (!mount.contains("Target")) throw InvalidArgument("target is required in '" + spec + "'");
  return mount;
}

Json key_values(const std::vector<std::string>& items) {
  Json map = Json::object();
  for (const auto& item : items) {
    auto eq = item.find('=');
    map[item.substr(0, eq)] = eq == std::string::npos ? "" : item.substr(eq + 1);
  }
  return map;
}

Json list_or_null(const std::vector<std::string>& items) {
  return items.empty() ? Json() : Json(items);
}

// --link NAME[:ALIAS], checked as docker's CLI checks it (the engine resolves the name).
const std::vector<std::string>& checked_links(const std::vector<std::string>& links) {
  for (const auto& link : links) {
    const auto colons = std::count(link.begin(), link.end(), ':');
    if (link.empty() || colons > 1)
      throw InvalidArgument("invalid argument \"" + link + "\" for \"--link\" flag: " +
                            (link.empty() ? std::string("empty string specified for links")
                                          : "bad format for links: " + link));
  }
  return links;
}

std::string cap_name(const std::string& cap) {
  auto name = upper(cap);
  if (name == "ALL" || name.rfind("CAP_", 0) == 0) return name;
  return "CAP_" + name;
}

std::string env_entry(const std::string& item,
                      const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  if (item.find('=') != std::string::npos || !getenv) return item;
  auto value = getenv(item);
  return value ? item + "=" + *value : item;
}

}  // namespace

std::int64_t parse_memory(const std::string& text) {
  std::string s = lower(text);
  if (!s.empty() && s.back() == 'b' && s.size() > 1 &&
      std::isalpha(static_cast<unsigned char>(s[s.size() - 2]))) {
    s.pop_back();
  }
  char* end = nullptr;
  double value = std::strtod(s.c_str(), &end);
  std::string unit = end ? std::string(end) : "";
  if (s.empty() || end == s.c_str() || value < 0 || unit.size() > 1) {
    throw InvalidArgument("invalid size: '" + text + "'");
  }
  double scale = 1;
  if (unit == "k")
    scale = 1024.0;
  else if (unit == "m")
    scale = 1024.0 * 1024;
  else if (unit == "g")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "p")
    scale = 1024.0 * 1024 * 1024 * 1024 * 1024;
  else if (unit == "b" || unit.empty())
    scale = 1;
  else
    throw InvalidArgument("invalid size: '" + text + "'");
  return static_cast<std::int64_t>(value * scale);
}

std::int64_t parse_nano_cpus(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || value < 0) {
    throw InvalidArgument("invalid argument \"" + text + "\" for \"--cpus\" flag");
  }
  return static_cast<std::int64_t>(std::llround(value * 1e9));
}

std::vector<std::string> parse_env_file(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  std::vector<std::string> out;
  for (auto line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first);
    if (line.find('=') == std::string::npos) {
      auto value = getenv ? getenv(line) : std::nullopt;
      if (value) out.push_back(line + "=" + *value);
      continue;
    }
    out.push_back(line);
  }
  return out;
}

namespace {

// docker's parseSecurityOpts and parseSystemPaths: `seccomp=FILE` travels as the file's compact
// JSON; `systempaths=unconfined` stays on this side and empties the masked and read-only paths.
struct SecurityOpts {
  std::vector<std::string> sent;
  bool unconfined_system_paths = false;
};
SecurityOpts security_opts(const std::vector<std::string>& opts, const CreateInputs& in) {
  SecurityOpts out;
  for (const auto& opt : opts) {
    if (opt == "systempaths=unconfined") {
      out.unconfined_system_paths = true;
      continue;
    }
    auto sep = opt.find('=');
    if (sep == std::string::npos && opt != "no-new-privileges") sep = opt.find(':');
    const std::string key = opt.substr(0, sep);
    const std::string value = sep == std::string::npos ? "" : opt.substr(sep + 1);
    if (value.empty() && key != "no-new-privileges")
      throw InvalidArgument("Invalid --security-opt: \"" + opt + "\"");
    if (key != "seccomp" || value == "builtin" || value == "unconfined") {
      out.sent.push_back(opt);
      continue;
    }
    std::string text;
    try {
      if (!in.read_file) throw InvalidArgument("not readable here");
      text = in.read_file(value);
    } catch (const std::exception& e) {
      throw InvalidArgument("opening seccomp profile (" + value + ") failed: " + e.what());
    }
    const Json profile = Json::parse(text, nullptr, false);
    if (profile.is_discarded())
      throw InvalidArgument("compacting json for seccomp profile (" + value +
                            ") failed: the file is not valid JSON");
    out.sent.push_back("seccomp=" + profile.dump());
  }
  return out;
}

}  // namespace

Json create_body(const ContainerFlags& f, const CreateInputs& in) {
  const bool attached = !f.detach;
  auto attaching = [&](const char* stream) {
    if (!attached) return false;
    if (f.attach.empty()) return std::string(stream) != "stdin" || f.interactive;
    for (const auto& a : f.attach) {
      if (lower(a) == stream) return true;
    }
    return false;
  };
  std::vector<std::string> env;
  for (const auto& path : f.env_files) {
    if (!in.read_file) throw InvalidArgument("--env-file is not readable here");
    for (auto& item : parse_env_file(in.read_file(path), in.getenv)) env.push_back(item);
  }
  for (const auto& item : f.env) env.push_back(env_entry(item, in.getenv));

  Json exposed = Json::object(), bindings = Json::object();
  for (const auto& spec : f.publish) add_publish(spec, exposed, bindings);
  for (const auto& spec : f.expose) {
    std::string port = spec, proto = "tcp";
    if (auto slash = spec.rfind('/'); slash != std::string::npos) {
      port = spec.substr(0, slash);
      proto = spec.substr(slash + 1);
    }
    auto [first, last] = parse_range(port, spec);
    for (int p = first; p <= last; ++p) exposed[std::to_string(p) + "/" + proto] = Json::object();
  }

  std::vector<std::string> binds;
  Json volumes = Json::object();
  for (const auto& v : f.volumes) {
    auto parts = split(v, ':');
    if (parts.size() == 1) {
      volumes[parts[0]] = Json::object();  // an anonymous volume
    } else if (parts.size() <= 3 && !parts[0].empty() && !parts[1].empty()) {
      binds.push_back(v);
    } else {
      throw InvalidArgument("invalid volume specification: '" + v + "'");
    }
  }

  Json restart{{"Name", "no"}, {"MaximumRetryCount", 0}};
  if (!f.restart.empty()) {
    auto colon = f.restart.find(':');
    restart["Name"] = f.restart.substr(0, colon);
    if (colon != std::string::npos) {
      restart["MaximumRetryCount"] = std::stoi(f.restart.substr(colon + 1));
    }
    static const std::vector<std::string> kPolicies = {"no", "always", "on-failure",
                                                       "unless-stopped"};
    if (std::find(kPolicies.begin(), kPolicies.end(), restart["Name"].get<std::string>()) ==
        kPolicies.end()) {
      throw InvalidArgument("invalid restart policy: unknown policy '" +
                            restart["Name"].get<std::string>() +
                            "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    }
  }
  if (f.rm && restart["Name"] != "no") {
    throw InvalidArgument("conflicting options: cannot specify both --restart and --rm");
  }

  Json tmpfs = Json::object();
  for (const auto& t : f.tmpfs) {
    auto colon = t.find(':');
    tmpfs[t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
  }
  Json ulimits = Json::array();
  for (const auto& u : f.ulimits) {
    auto eq = u.find('=');
    if (eq == std::string::npos) throw InvalidArgument("invalid ulimit argument: " + u);
    auto values = split(u.substr(eq + 1), ':');
    const auto soft = std::stoll(values[0]);
    const auto hard = values.size() > 1 ? std::stoll(values[1]) : soft;
    ulimits.push_back({{"Name", u.substr(0, eq)}, {"Hard", hard}, {"Soft", soft}});
  }
  Json mounts = Json::array();
  for (const auto& m : f.mounts) mounts.push_back(parse_mount(m));
  std::vector<std::string> cap_add, cap_drop;
  for (const auto& c : f.cap_add) cap_add.push_back(cap_name(c));
  for (const auto& c : f.cap_drop) cap_drop.push_back(cap_name(c));
  Json devices = Json::array();
  for (const auto& d : f.devices) {
    auto parts = split(d, ':');
    devices.push_back({{"PathOnHost", parts[0]},
                       {"PathInContainer", parts.size() > 1 ? parts[1] : parts[0]},
                       {"CgroupPermissions", parts.size() > 2 ? parts[2] : "rwm"}});
  }

  if (f.log_driver == "none" && !f.log_opts.empty())
    throw InvalidArgument("invalid logging opts for driver none");  // as docker's CLI refuses
  const SecurityOpts security = security_opts(f.security_opt, in);
  const std::string network = f.network.empty() ? "default" : f.network;
  Json endpoint = Json::object();
  endpoint["Aliases"] = list_or_null(f.network_alias);
  if (!f.mac_address.empty()) {
    static const std::regex mac(R"(^[0-9A-Fa-f]{2}([:-])([0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$)");
    if (!std::regex_match(f.mac_address, mac))
      throw InvalidArgument(f.mac_address + " is not a valid mac address");  // docker's words
    endpoint["MacAddress"] = f.mac_address;
  }

  Json host{
      {"Binds", list_or_null(binds)},
      {"NetworkMode", network},
      {"PortBindings", bindings},
      {"RestartPolicy", restart},
      {"AutoRemove", f.rm},
      {"ConsoleSize", {f.tty ? in.console_size.first : 0, f.tty ? in.console_size.second : 0}},
      {"CapAdd", list_or_null(cap_add)},
      {"CapDrop", list_or_null(cap_drop)},
      {"Dns", f.dns},
      {"DnsOptions", f.dns_option},
      {"DnsSearch", f.dns_search},
      {"ExtraHosts", list_or_null(f.add_host)},
      {"Links", list_or_null(checked_links(f.links))},
      {"GroupAdd", list_or_null(f.group_add)},
      {"IpcMode", f.ipc},
      {"PidMode", f.pid},
      {"UTSMode", f.uts},
      {"CgroupnsMode", f.cgroupns},
      {"Privileged", f.privileged},
      {"PublishAllPorts", f.publish_all},
      {"ReadonlyRootfs", f.read_only},
      {"SecurityOpt", list_or_null(security.sent)},
      {"ShmSize", f.shm_size.empty() ? 0 : parse_memory(f.shm_size)},
      {"Memory", f.memory.empty() ? 0 : parse_memory(f.memory)},
      {"MemorySwap",
       f.memory_swap.empty() ? 0 : (f.memory_swap == "-1" ? -1 : parse_memory(f.memory_swap))},
      {"NanoCpus", f.cpus.empty() ? 0 : parse_nano_cpus(f.cpus)},
      {"CpuShares", f.cpu_shares.value_or(0)},
      {"CpusetCpus", f.cpuset_cpus},
      {"PidsLimit", f.pids_limit.value_or(0)},
      {"Ulimits", ulimits},
      {"Devices", devices},
      {"MemorySwappiness", -1},
      {"LogConfig", {{"Type", f.log_driver}, {"Config", key_values(f.log_opts)}}}};
  if (!tmpfs.empty()) host["Tmpfs"] = tmpfs;
  if (security.unconfined_system_paths) {
    host["MaskedPaths"] = Json::array();
    host["ReadonlyPaths"] = Json::array();
  }
  if (!f.sysctls.empty()) host["Sysctls"] = key_values(f.sysctls);
  if (!mounts.empty()) host["Mounts"] = mounts;
  if (f.init) host["Init"] = true;

  Json body{{"Hostname", f.hostname},
            {"Domainname", ""},
            {"User", f.user},
            {"AttachStdin", attaching("stdin")},
            {"AttachStdout", attaching("stdout")},
            {"AttachStderr", attaching("stderr")},
            {"Tty", f.tty},
            {"OpenStdin", f.interactive},
            {"StdinOnce", f.interactive && attached},
            {"Env", list_or_null(env)},
            {"Cmd", list_or_null(in.command)},
            {"Image", in.image},
            {"Volumes", volumes},
            {"WorkingDir", f.workdir},
            {"Entrypoint", f.entrypoint ? Json(std::vector<std::string>{*f.entrypoint}) : Json()},
            {"OnBuild", Json()},
            {"Labels", key_values(f.labels)},
            {"HostConfig", host},
            {"NetworkingConfig", {{"EndpointsConfig", {{network, endpoint}}}}}};
  if (!exposed.empty()) body["ExposedPorts"] = exposed;
  if (!f.stop_signal.empty()) body["StopSignal"] = f.stop_signal;
  if (f.stop_timeout) body["StopTimeout"] = *f.stop_timeout;
  if (!f.health_cmd.empty()) {
    Json health{{"Test", {"CMD-SHELL", f.health_cmd}}};
    if (!f.health_interval.empty()) {
      health["Interval"] = static_cast<std::int64_t>(std::stod(f.health_interval) * 1e9);
    }
    body["Healthcheck"] = health;
  }
  return body;
}

void add_container_flags(CLI::App& cmd, ContainerFlags& f, bool run) {
  auto many = [&](const char* names, std::vector<std::string>& into, const char* help) {
    cmd.add_option(names, into, help)->allow_extra_args(false);
  };
  if (run) {
    cmd.add_flag("-d,--detach", f.detach, "Run container in background and print container ID");
    cmd.add_flag("--rm", f.rm, "Automatically remove the container when it exits");
    many("-a,--attach", f.attach, "Attach to STDIN, STDOUT or STDERR");
    cmd.add_flag("--sig-proxy{true}", f.sig_proxy, "Proxy received signals to the process");
  } else {
    cmd.add_flag("--rm", f.rm, "Automatically remove the container when it exits");
  }
  cmd.add_flag("-i,--interactive", f.interactive, "Keep STDIN open even if not attached");
  cmd.add_flag("-t,--tty", f.tty, "Allocate a pseudo-TTY");
  cmd.add_option("--name", f.name, "Assign a name to the container");
  cmd.add_option("-w,--workdir", f.workdir, "Working directory inside the container");
  cmd.add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  cmd.add_option("--restart", f.restart, "Restart policy to apply when a container exits");
  cmd.add_option("--network,--net", f.network, "Connect a container to a network");
  many("--network-alias", f.network_alias, "Add network-scoped alias for the container");
  cmd.add_option("--mac-address", f.mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
  cmd.add_option("--entrypoint", f.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  cmd.add_option("-h,--hostname", f.hostname, "Container host name");
  cmd.add_option("-m,--memory", f.memory, "Memory limit");
  cmd.add_option("--memory-swap", f.memory_swap, "Swap limit equal to memory plus swap");
  cmd.add_option("--shm-size", f.shm_size, "Size of /dev/shm");
  cmd.add_option("--cpus", f.cpus, "Number of CPUs");
  cmd.add_option("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
  cmd.add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  cmd.add_option("--pids-limit", f.pids_limit, "Tune container pids limit (set -1 for unlimited)");
  cmd.add_flag("--init", f.init, "Run an init inside the container");
  cmd.add_flag("--privileged", f.privileged, "Give extended privileges to this container");
  cmd.add_flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
  cmd.add_flag("-P,--publish-all", f.publish_all, "Publish all exposed ports to random ports");
  many("-p,--publish", f.publish, "Publish a container's port(s) to the host");
  many("--expose", f.expose, "Expose a port or a range of ports");
  many("-v,--volume", f.volumes, "Bind mount a volume");
  many("--mount", f.mounts, "Attach a filesystem mount to the container");
  many("-e,--env", f.env, "Set environment variables");
  many("--env-file", f.env_files, "Read in a file of environment variables");
  many("--cap-add", f.cap_add, "Add Linux capabilities");
  many("--cap-drop", f.cap_drop, "Drop Linux capabilities");
  many("--tmpfs", f.tmpfs, "Mount a tmpfs directory");
  many("-l,--label", f.labels, "Set meta data on a container");
  many("--dns", f.dns, "Set custom DNS servers");
  many("--dns-search", f.dns_search, "Set custom DNS search domains");
  many("--dns-option", f.dns_option, "Set DNS options");
  many("--add-host", f.add_host, "Add a custom host-to-IP mapping (host:ip)");
  many("--link", f.links, "Add link to another container");
  many("--security-opt", f.security_opt, "Security Options");
  many("--ulimit", f.ulimits, "Ulimit options");
  many("--sysctl", f.sysctls, "Sysctl options");
  many("--log-opt", f.log_opts, "Log driver options");
  many("--group-add", f.group_add, "Add additional groups to join");
  many("--device", f.devices, "Add a host device to the container");
  cmd.add_option("--log-driver", f.log_driver, "Logging driver for the container");
  cmd.add_option("--stop-signal", f.stop_signal, "Signal to stop the container");
  cmd.add_option("--stop-timeout", f.stop_timeout, "Timeout (in seconds) to stop a container");
  cmd.add_option("--health-cmd", f.health_cmd, "Command to run to check health");
  cmd.add_option("--health-interval", f.health_interval, "Time between running the check (s)");
  cmd.add_option("--platform", f.platform, "Set platform if server is multi-platform capable");
  cmd.add_option("--pull", f.pull, "Pull image before running (always, missing, never)");
  cmd.add_option("--cgroupns", f.cgroupns, "Cgroup namespace to use (host|private)");
  cmd.add_option("--ipc", f.ipc, "IPC mode to use");
  cmd.add_option("--pid", f.pid, "PID namespace to use");
  cmd.add_option("--uts", f.uts, "UTS namespace to use");
}

}  // namespace berth::cli::client
