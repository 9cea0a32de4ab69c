// The OCI runtime spec dockerd would hand runc for the same container: same defaults, same
// process environment, same translation of HostConfig limits, same seccomp policy (oci_seccomp).
// No AppArmor profile is applied: berth's hosts run without AppArmor.
#include "engine/containers/oci_spec.hpp"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <tuple>

#include "common/error.hpp"
#include "common/json.hpp"
#include "engine/containers/oci_capabilities.hpp"
#include "engine/containers/oci_devices.hpp"
#include "engine/containers/oci_mounts.hpp"
#include "engine/containers/oci_seccomp.hpp"
#include "engine/containers/oci_user.hpp"
#include "engine/containers/runtime.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

constexpr const char* kOciVersion = "1.0.2";
constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* kInitInContainer = "/sbin/docker-init";
constexpr uint64_t kDefaultNofile = 1048576;
constexpr int64_t kCpuPeriod = 100000;  // microseconds; dockerd's period for --cpus

// dockerd's ReplaceOrAppendEnvValues: a later KEY=value replaces the earlier KEY in place, a bare
// KEY (no '=') removes it.
std::vector<std::string> replace_or_append_env(std::vector<std::string> env,
                                               const std::vector<std::string>& overrides) {
  auto key_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (const auto& entry : overrides) {
    const std::string key = key_of(entry);
    auto it = std::find_if(env.begin(), env.end(),
                           [&](const std::string& e) { return key_of(e) == key; });
    if (it != env.end()) {
      *it = entry;
    } else {
      env.push_back(entry);
    }
  }
  std::erase_if(env, [](const std::string& e) { return e.find('=') == std::string::npos; });
  return env;
}

// dockerd's CreateDaemonEnvironment (with the links' variables) followed by the container's own
// Env.
std::vector<std::string> base_env(const json& config, const std::string& hostname, bool tty,
                                  const std::vector<std::string>& link_env) {
  std::vector<std::string> env = {kDefaultPath, "HOSTNAME=" + hostname};
  if (tty) env.push_back("TERM=xterm");
  env.insert(env.end(), link_env.begin(), link_env.end());
  return replace_or_append_env(std::move(env), get_string_array(config, "Env"));
}

std::string working_dir(const std::string& dir) {
  if (dir.empty()) return "/";
  if (dir.front() != '/') {
    throw InvalidArgument("the working directory '" + dir +
                          "' is invalid, it needs to be an absolute path");
  }
  return dir;
}

// 1048576 open files, as dockerd under systemd (LimitNOFILE) gives containers — capped at the
// engine's own hard limit: raising above it needs CAP_SYS_RESOURCE in the runtime's context, which
// some sandboxes deny even to root, and then every container would fail to start. berthd raises its
// own limit as far as the host allows at start-up.
uint64_t default_nofile() {
  rlimit own{};
  if (::getrlimit(RLIMIT_NOFILE, &own) != 0) return 1024;
  return std::min<uint64_t>(kDefaultNofile, own.rlim_max);
}

json rlimits(const json& host_config) {
  std::map<std::string, std::pair<int64_t, int64_t>> limits;
  const auto nofile = static_cast<int64_t>(default_nofile());
  limits["RLIMIT_NOFILE"] = {nofile, nofile};
  if (const json* ulimits = find_field(host_config, "Ulimits")) {
    if (!ulimits->is_array()) throw InvalidArgument("field \"Ulimits\" must be an array");
    for (const auto& u : *ulimits) {
      std::string name = get_string(u, "Name");
      if (name.empty()) throw InvalidArgument("invalid ulimit: missing name");
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      limits["RLIMIT_" + name] = {get_int64(u, "Soft"), get_int64(u, "Hard")};
    }
  }
  json out = json::array();
  for (const auto& [type, values] : limits) {
    out.push_back({{"type", type},
                   {"hard", static_cast<uint64_t>(values.second)},
                   {"soft", static_cast<uint64_t>(values.first)}});
  }
  return out;
}

struct ProcessParams {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  std::string user;
  bool tty = false;
  const json* console_size = nullptr;
  std::vector<std::string> capabilities;
};

json make_process(const ProcessParams& p, const OciSpecInput& input) {
  if (p.args.empty() || p.args.front().empty()) {
    throw InvalidArgument("No command specified");
  }
  const ResolvedUser user = resolve_user(p.user, input.passwd_path, input.group_path,
                                         get_string_array(input.host_config, "GroupAdd"));
  json process = {
      {"terminal", p.tty},
      {"user", {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.additional_gids}}},
      {"args", p.args},
      {"env", p.env},
      {"cwd", working_dir(p.cwd)},
      {"capabilities",
       {{"bounding", p.capabilities},
        {"effective", p.capabilities},
        {"permitted", p.capabilities}}},
      {"rlimits", rlimits(input.host_config)},
      {"noNewPrivileges", parse_security_options(input.host_config).no_new_privileges},
      {"oomScoreAdj", get_int64(input.host_config, "OomScoreAdj")},
  };
  // ConsoleSize is [height, width]; zeros mean "not given".
  const json* size = p.console_size;
  if (p.tty && size != nullptr && size->is_array() && size->size() == 2 &&
      (*size)[0].is_number_integer() && (*size)[1].is_number_integer() &&
      (*size)[0].get<int64_t>() > 0 && (*size)[1].get<int64_t>() > 0) {
    process["consoleSize"] = {{"height", (*size)[0]}, {"width", (*size)[1]}};
  }
  return process;
}

std::vector<std::string> container_capabilities(const json& host_config) {
  return tweak_capabilities(get_string_array(host_config, "CapAdd"),
                            get_string_array(host_config, "CapDrop"),
                            get_bool(host_config, "Privileged"));
}

json namespaces(const OciSpecInput& input) {
  const json& hc = input.host_config;
  json ns = json::array({{{"type", "mount"}}});
  if (input.network_namespace.empty()) {
    ns.push_back({{"type", "network"}});
  } else if (input.network_namespace != "host") {
    ns.push_back({{"type", "network"}, {"path", input.network_namespace}});
  }
  if (get_string(hc, "UTSMode") != "host") ns.push_back({{"type", "uts"}});
  // A namespace given by path is joined (--pid/--ipc container:X), else a new one is made.
  auto add = [&ns](const char* type, const std::string& mode, const std::string& path) {
    if (!path.empty())
      ns.push_back({{"type", type}, {"path", path}});
    else if (mode != "host")
      ns.push_back({{"type", type}});
  };
  add("pid", get_string(hc, "PidMode"), input.pid_namespace);
  add("ipc", get_string(hc, "IpcMode"), input.ipc_namespace);
  // dockerd's default cgroupns mode: private on cgroup v2, the host's on v1.
  std::string cgroupns = get_string(hc, "CgroupnsMode");
  if (cgroupns.empty()) cgroupns = detect_cgroups().version == 2 ? "private" : "host";
  if (cgroupns == "private") ns.push_back({{"type", "cgroup"}});
  return ns;
}

json resources(const json& hc, json device_rules) {
  json res = {{"devices", std::move(device_rules)}};
  const int64_t memory = get_int64(hc, "Memory");
  const int64_t swap = get_int64(hc, "MemorySwap");
  json mem = json::object();
  if (memory > 0) mem["limit"] = memory;
  if (swap > 0 || swap == -1) {
    if (memory > 0 && swap > 0 && swap < memory) {
      throw InvalidArgument(
          "Minimum memoryswap limit should be larger than memory limit, see usage");
    }
    mem["swap"] = swap;
  } else if (memory > 0) {
    mem["swap"] = memory * 2;  // dockerd's default: as much swap as memory
  }
  if (int64_t reservation = get_int64(hc, "MemoryReservation"); reservation > 0) {
    mem["reservation"] = reservation;
  }
  if (const json* swappiness = find_field(hc, "MemorySwappiness");
      swappiness && swappiness->is_number_integer() && swappiness->get<int64_t>() >= 0) {
    mem["swappiness"] = swappiness->get<int64_t>();
  }
  if (get_bool(hc, "OomKillDisable")) mem["disableOOMKiller"] = true;
  if (!mem.empty()) res["memory"] = mem;

  json cpu = json::object();
  const int64_t nano_cpus = get_int64(hc, "NanoCpus");
  const int64_t quota = get_int64(hc, "CpuQuota");
  const int64_t period = get_int64(hc, "CpuPeriod");
  if (nano_cpus > 0 && (quota > 0 || period > 0)) {
    throw InvalidArgument("Conflicting options: Nano CPUs and CPU Period/Quota cannot both be set");
  }
  if (nano_cpus > 0) {
    cpu["period"] = kCpuPeriod;
    cpu["quota"] = nano_cpus * kCpuPeriod / 1000000000;
  }
  if (quota > 0) cpu["quota"] = quota;
  if (period > 0) cpu["period"] = period;
  if (int64_t shares = get_int64(hc, "CpuShares"); shares > 0) cpu["shares"] = shares;
  if (int64_t rt = get_int64(hc, "CpuRealtimePeriod"); rt > 0) cpu["realtimePeriod"] = rt;
  if (int64_t rt = get_int64(hc, "CpuRealtimeRuntime"); rt > 0) cpu["realtimeRuntime"] = rt;
  if (auto cpus = get_string(hc, "CpusetCpus"); !cpus.empty()) cpu["cpus"] = cpus;
  if (auto mems = get_string(hc, "CpusetMems"); !mems.empty()) cpu["mems"] = mems;
  if (!cpu.empty()) res["cpu"] = cpu;

  if (int64_t pids = get_int64(hc, "PidsLimit"); pids > 0) res["pids"] = {{"limit", pids}};
  json block_io = json::object();
  if (int64_t weight = get_int64(hc, "BlkioWeight"); weight > 0) block_io["weight"] = weight;
  // Per device: dockerd names devices by path; the runtime takes their numbers.
  for (const auto& [key, field, value] :
       {std::tuple{"BlkioWeightDevice", "weightDevice", "Weight"},
        {"BlkioDeviceReadBps", "throttleReadBpsDevice", "Rate"},
        {"BlkioDeviceWriteBps", "throttleWriteBpsDevice", "Rate"},
        {"BlkioDeviceReadIOps", "throttleReadIOPSDevice", "Rate"},
        {"BlkioDeviceWriteIOps", "throttleWriteIOPSDevice", "Rate"}}) {
    const auto it = hc.find(key);
    if (it == hc.end() || !it->is_array() || it->empty()) continue;
    json devices = json::array();
    for (const auto& device : *it) {
      const std::string path = get_string(device, "Path");
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        // dockerd's words (Go's errno text), which the docker CLI reads for its exit code.
        if (errno == ENOENT) throw InvalidArgument("stat " + path + ": no such file or directory");
        throw_errno("stat " + path);
      }
      json entry = {{"major", major(st.st_rdev)}, {"minor", minor(st.st_rdev)}};
      entry[std::string(value) == "Weight" ? "weight" : "rate"] = get_int64(device, value);
      devices.push_back(std::move(entry));
    }
    block_io[field] = std::move(devices);
  }
  if (!block_io.empty()) res["blockIO"] = std::move(block_io);
  return res;
}

// --ipc container:X: the donor's /dev/shm replaces the container's own, as with dockerd.
void share_shm(json& mounts, const std::string& donor_shm) {
  json kept = json::array();
  for (auto& m : mounts)
    if (m.value("destination", "") != "/dev/shm") kept.push_back(std::move(m));
  mounts = std::move(kept);
  mounts.push_back({{"destination", "/dev/shm"},
                    {"type", "bind"},
                    {"source", donor_shm},
                    {"options", {"rbind", "rprivate"}}});
}

// Command line: Entrypoint + Cmd, behind the init binary with --init.
std::vector<std::string> command(const OciSpecInput& input) {
  std::vector<std::string> args = get_string_array(input.config, "Entrypoint");
  for (auto& arg : get_string_array(input.config, "Cmd")) args.push_back(std::move(arg));
  if (args.empty()) throw InvalidArgument("No command specified");
  if (get_bool(input.host_config, "Init")) {
    if (input.init_path.empty()) {
      throw InvalidArgument("--init is not available: no init binary installed");
    }
    args.insert(args.begin(), {kInitInContainer, "--"});
  }
  return args;
}

}  // namespace

json default_masked_paths() {
  return json::array({"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
                      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                      "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                      "/sys/devices/virtual/powercap"});
}

json default_readonly_paths() {
  return json::array({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"});
}

json make_oci_spec(const OciSpecInput& input) {
  const json& config = input.config;
  const json& hc = input.host_config;
  if (input.rootfs.empty() || input.rootfs.front() != '/') {
    throw InvalidArgument("container rootfs must be an absolute path: \"" + input.rootfs + "\"");
  }
  const bool tty = get_bool(config, "Tty");
  const bool privileged = get_bool(hc, "Privileged");

  ProcessParams p;
  p.args = command(input);
  p.env = base_env(config, input.hostname, tty, input.link_env);
  p.cwd = get_string(config, "WorkingDir");
  p.user = get_string(config, "User");
  p.tty = tty;
  p.console_size = find_field(hc, "ConsoleSize");
  p.capabilities = container_capabilities(hc);

  json spec = {
      {"ociVersion", kOciVersion},
      {"process", make_process(p, input)},
      {"root", {{"path", input.rootfs}, {"readonly", get_bool(hc, "ReadonlyRootfs")}}},
      {"mounts", make_mounts(input)},
  };
  if (!input.shared_shm.empty()) share_shm(spec["mounts"], input.shared_shm);
  if (get_string(hc, "UTSMode") != "host" && !input.hostname.empty()) {
    spec["hostname"] = input.hostname;
  }

  OciDevices devices = make_devices(hc);
  json linux_section = {
      {"resources", resources(hc, std::move(devices.rules))},
      {"namespaces", namespaces(input)},
      {"devices", std::move(devices.devices)},
  };
  if (!input.cgroups_path.empty()) linux_section["cgroupsPath"] = input.cgroups_path;
  if (json seccomp = oci_seccomp(hc, p.capabilities, input.seccomp_default); !seccomp.is_null())
    linux_section["seccomp"] = std::move(seccomp);

  json sysctl = json::object();
  // dockerd lets containers in their own network namespace bind low ports and ping unprivileged.
  if (input.network_namespace != "host") {
    sysctl["net.ipv4.ip_unprivileged_port_start"] = "0";
    sysctl["net.ipv4.ping_group_range"] = "0 2147483647";
  }
  // --domainname: the NIS domain name through its sysctl, which every runtime applies (the spec's
  // own "domainname" is newer than runc 1.1), as dockerd sets it. A --sysctl of it wins.
  if (const std::string domain = get_string(config, "Domainname");
      !domain.empty() && get_string(hc, "UTSMode") != "host")
    sysctl["kernel.domainname"] = domain;
  for (const auto& [key, value] : get_string_map(hc, "Sysctls")) sysctl[key] = value;
  if (!sysctl.empty()) linux_section["sysctl"] = sysctl;

  if (privileged) {
    linux_section["maskedPaths"] = json::array();
    linux_section["readonlyPaths"] = json::array();
  } else {
    const json* masked = find_field(hc, "MaskedPaths");
    const json* readonly = find_field(hc, "ReadonlyPaths");
    linux_section["maskedPaths"] = masked && masked->is_array() ? *masked : default_masked_paths();
    linux_section["readonlyPaths"] =
        readonly && readonly->is_array() ? *readonly : default_readonly_paths();
  }
  spec["linux"] = std::move(linux_section);
  // --annotation: for the runtime and the hooks it runs, as dockerd passes them.
  if (const json* annotations = find_field(input.host_config, "Annotations");
      annotations && annotations->is_object() && !annotations->empty()) {
    json strings = json::object();
    for (const auto& [key, value] : annotations->items())
      if (value.is_string()) strings[key] = value;
    spec["annotations"] = std::move(strings);
  }
  return spec;
}

json make_exec_process(const json& exec_config, const OciSpecInput& container) {
  const json& config = container.config;
  const bool tty = get_bool(exec_config, "Tty");
  ProcessParams p;
  p.args = get_string_array(exec_config, "Cmd");
  if (p.args.empty()) throw InvalidArgument("No exec command specified");
  // Callers that do not say (exec, health checks) get the container's own hostname.
  const std::string hostname =
      container.hostname.empty() ? get_string(config, "Hostname") : container.hostname;
  p.env = replace_or_append_env(base_env(config, hostname, tty, container.link_env),
                                get_string_array(exec_config, "Env"));
  p.cwd = get_string(exec_config, "WorkingDir");
  if (p.cwd.empty()) p.cwd = get_string(config, "WorkingDir");
  p.user = get_string(exec_config, "User");
  if (p.user.empty()) p.user = get_string(config, "User");
  p.tty = tty;
  p.console_size = find_field(exec_config, "ConsoleSize");
  p.capabilities = get_bool(exec_config, "Privileged")
                       ? all_capabilities()
                       : container_capabilities(container.host_config);
  return make_process(p, container);
}

}  // namespace berth::engine
