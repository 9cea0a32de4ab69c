#include "engine/api/system_routes.hpp"

#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"
#include "common/subprocess.hpp"
#include "common/time_format.hpp"
#include "engine/api/api_common.hpp"
#include "engine/build_info.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/container_views.hpp"
#include "engine/containers/runtime.hpp"
#include "engine/daemon/daemon_config.hpp"
#include "engine/events.hpp"
#include "engine/images/image_store.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace berth::engine::api {

namespace {

std::string os_pretty_name() {
  try {
    const std::string text = read_file("/etc/os-release");
    const auto pos = text.find("PRETTY_NAME=");
    if (pos != std::string::npos) {
      std::string v = text.substr(pos + 12, text.find('\n', pos) - pos - 12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  } catch (const std::exception&) {
  }
  return "Linux";
}

std::string os_version() {
  try {
    const std::string text = read_file("/etc/os-release");
    const auto pos = text.find("VERSION_ID=");
    if (pos != std::string::npos) {
      std::string v = text.substr(pos + 11, text.find('\n', pos) - pos - 11);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  } catch (const std::exception&) {
  }
  return "";
}

std::string kernel_version() {
  utsname u{};
  uname(&u);
  return u.release;
}

std::string hostname() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

int64_t to_nanos(const std::string& text) {
  const auto t = parse_docker_time(text, std::chrono::system_clock::now());
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// `<program> --version` (the runtime's, the init's), asked once per binary: dockerd asks on every
// /info, and the answer does not change while berthd runs. `fallback` when it cannot be asked.
std::string version_output(const std::string& program, const std::string& fallback) {
  static std::mutex mutex;
  static std::map<std::string, std::string> outputs;
  std::lock_guard lock(mutex);
  auto it = outputs.find(program);
  if (it != outputs.end()) return it->second;
  std::string output = fallback;
  try {
    auto result = run_capture({program, "--version"}, {}, std::chrono::seconds(5));
    if (result.status.success()) output = result.stdout_data;
  } catch (const std::exception& e) {
    log::warn("cannot ask a program its version", {{"program", program}, {"error", e.what()}});
  }
  return outputs[program] = output;
}

std::string runtime_version_output(const RuntimeInfo& runtime) {
  return version_output(runtime.path, runtime.version);
}

// uname -m: /info's Architecture.
std::string machine() {
  utsname u{};
  uname(&u);
  return u.machine;
}

// GOARCH's name for this machine: /version's Arch.
std::string go_arch() {
  const std::string machine = engine::api::machine();
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i686" || machine == "i386") return "386";
  if (machine.starts_with("armv")) return "arm";
  return machine;  // ppc64le, s390x, riscv64: the same word in both
}

// "tini version 0.19.0 - git.de40ad0" → {"0.19.0", "de40ad0"}; Debian's tini has no git part.
std::pair<std::string, std::string> init_version(const std::string& output) {
  const std::string line = output.substr(0, output.find('\n'));
  const size_t at = line.find("version ");
  if (at == std::string::npos) return {"", ""};
  const std::string rest = line.substr(at + 8);
  const std::string version = rest.substr(0, rest.find(' '));
  const size_t git = rest.find("git.");
  return {version, git == std::string::npos ? "" : rest.substr(git + 4)};
}

json version_json(const SystemContext& ctx) {
  const std::string kernel = kernel_version();
  const std::string arch = go_arch();
  json components = json::array();
  components.push_back({{"Name", "Engine"},
                        {"Version", BERTH_VERSION},
                        {"Details",
                         {{"ApiVersion", "1.50"},
                          {"Arch", arch},
                          {"BuildTime", kBuildTime},
                          {"Experimental", "false"},
                          {"GitCommit", kBuildCommit},
                          {"GoVersion", "n/a (C++)"},
                          {"KernelVersion", kernel},
                          {"MinAPIVersion", "1.24"},
                          {"Os", "linux"}}}});
  // The parts under the engine, as dockerd lists containerd, runc and docker-init: berthd drives
  // the runtime itself, so there is no containerd.
  const std::string runtime_output = runtime_version_output(ctx.default_runtime);
  const std::string runtime_line = runtime_output.substr(0, runtime_output.find('\n'));
  const size_t version_at = runtime_line.find("version ");
  components.push_back(
      {{"Name", ctx.default_runtime.name},
       {"Version", version_at == std::string::npos ? "" : runtime_line.substr(version_at + 8)},
       {"Details", {{"GitCommit", runtime_commit(runtime_output)}}}});
  if (!ctx.config.init_path.empty()) {
    const auto [version, commit] = init_version(version_output(ctx.config.init_path, ""));
    components.push_back(
        {{"Name", "docker-init"}, {"Version", version}, {"Details", {{"GitCommit", commit}}}});
  }
  return {{"Platform", {{"Name", "berth Engine"}}},
          {"Components", components},
          {"Version", BERTH_VERSION},
          {"ApiVersion", "1.50"},
          {"MinAPIVersion", "1.24"},
          {"GitCommit", kBuildCommit},
          {"GoVersion", "n/a (C++)"},
          {"Os", "linux"},
          {"Arch", arch},
          {"KernelVersion", kernel},
          {"Experimental", false},
          {"BuildTime", kBuildTime}};
}

// What `docker info` lists under "Security Options": the containers' default seccomp profile
// (named by its setting, as dockerd does), and private cgroup namespaces on cgroup v2.
json security_options(const SystemContext& ctx) {
  const std::string& profile = ctx.config.seccomp_profile;
  json out = json::array({"name=seccomp,profile=" + (profile.empty() ? "builtin" : profile)});
  if (ctx.cgroups.version == 2) out.push_back("name=cgroupns");
  return out;
}

// dockerd's sysinfo: --oom-kill-disable works where the v1 memory controller has oom_control
// (cgroup v2 has no such switch).
bool oom_kill_disable_supported(const CgroupInfo& cgroups) {
  return cgroups.version == 1 &&
         std::filesystem::exists("/sys/fs/cgroup/memory/memory.oom_control");
}

// What dockerd warns about in /info. Runtimes berthd cannot use are not a dockerd warning: they are
// left out of Runtimes and logged instead.
json info_warnings(const SystemContext& ctx, bool ipv4_forwarding) {
  json warnings = json::array();
  if (!ipv4_forwarding) warnings.push_back("WARNING: IPv4 forwarding is disabled");
  static std::once_flag logged;
  std::call_once(logged, [&ctx] {
    for (const auto& rt : ctx.runtimes)
      if (!rt.usable)
        log::info("runtime unusable here", {{"runtime", rt.name}, {"reason", rt.reason}});
  });
  return warnings;
}

// Each layer's size and how many images hold it, for docker's system df: a layer of two images
// is their shared size, and counts once in the total.
struct LayerUsage {
  std::map<std::string, std::pair<int64_t, int>> layers;  // chain ID -> (size, images)
  int64_t total_size = 0;
};

LayerUsage layer_usage(const ImageStore& store, const std::vector<Image>& images) {
  LayerUsage usage;
  for (const auto& img : images) {
    const auto sizes = store.layer_sizes(img);
    for (size_t i = 0; i < img.chain_ids.size() && i < sizes.size(); ++i) {
      auto [it, added] = usage.layers.try_emplace(img.chain_ids[i], sizes[i], 0);
      if (added) usage.total_size += sizes[i];
      ++it->second.second;
    }
  }
  return usage;
}

int64_t shared_size(const Image& image, const LayerUsage& usage) {
  int64_t shared = 0;
  for (const auto& chain : image.chain_ids)
    if (auto it = usage.layers.find(chain); it != usage.layers.end() && it->second.second > 1)
      shared += it->second.first;
  return shared;
}

}  // namespace

std::string runtime_commit(const std::string& version_output) {
  std::string version;
  size_t start = 0;
  while (start < version_output.size()) {
    size_t end = version_output.find('\n', start);
    if (end == std::string::npos) end = version_output.size();
    std::string line = version_output.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.starts_with("commit:")) {
      const size_t value = line.find_first_not_of(' ', 7);
      return value == std::string::npos ? "" : line.substr(value);
    }
    if (const size_t pos = line.find("version"); pos != std::string::npos && version.empty()) {
      version = line.substr(pos + 7);
      version.erase(0, version.find_first_not_of(' '));
    }
  }
  return version.empty() ? "N/A" : version;
}

bool debug_mode_configured(const std::string& config_file) {
  if (config_file.empty()) return false;
  try {
    const json config = json::parse(read_file(config_file));
    const auto debug = config.find("debug");
    return debug != config.end() && debug->is_boolean() && debug->get<bool>();
  } catch (const std::exception&) {
    return false;  // berthd would not have started with a bad file; it may have gone since
  }
}

void add_system_routes(http::Router& r, const SystemContext& ctx) {
  auto ping = [](http::Request& req, http::Response& res) {
    res.set_header("Docker-Experimental", "false");
    res.set_header("Builder-Version", "1");
    res.set_header("Swarm", "inactive");
    res.set_header("Cache-Control", "no-cache, no-store, must-revalidate");
    res.set_header("Pragma", "no-cache");
    res.send(200, req.method() == "HEAD" ? "" : "OK", "text/plain; charset=utf-8");
  };
  r.add("GET", "/_ping", ping);
  r.add("HEAD", "/_ping", ping);

  r.add("GET", "/version",
        [&ctx](http::Request&, http::Response& res) { res.send_json(200, version_json(ctx)); });

  r.add("GET", "/info", [&ctx](http::Request& req, http::Response& res) {
    int running = 0, paused = 0, stopped = 0;
    ctx.containers.for_each([&](const Container& c) {
      if (c.state.status == "paused")
        ++paused;
      else if (c.state.running())
        ++running;
      else
        ++stopped;
    });
    struct sysinfo si {};
    sysinfo(&si);
    json runtimes = json::object();
    for (const auto& rt : ctx.runtimes)
      if (rt.usable) runtimes[rt.name] = {{"path", rt.path}};
    std::vector<std::string> labels = ctx.config.labels;
    const bool forwarding = [] {
      try {
        return read_file("/proc/sys/net/ipv4/ip_forward").starts_with("1");
      } catch (const std::exception&) {
        return false;
      }
    }();
    json info = {
        {"ID", ctx.engine_id},
        {"Containers", running + paused + stopped},
        {"ContainersRunning", running},
        {"ContainersPaused", paused},
        {"ContainersStopped", stopped},
        {"Images", ctx.images.list().size()},
        {"Driver", "overlay2"},
        {"DriverStatus", json::array({json::array({"Backing Filesystem", "extfs"}),
                                      json::array({"Supports d_type", "true"})})},
        {"Plugins",
         {{"Volume", {"local"}},
          {"Network", {"bridge", "host", "null"}},
          {"Authorization", nullptr},
          {"Log", {"json-file"}}}},
        {"MemoryLimit", true},
        {"SwapLimit", true},
        {"CpuCfsPeriod", true},
        {"CpuCfsQuota", true},
        {"CPUShares", true},
        {"CPUSet", true},
        {"PidsLimit", true},
        {"IPv4Forwarding", forwarding},
        {"Debug", debug_mode_configured(ctx.config.config_file)},
        {"NFd", std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                              std::filesystem::directory_iterator())},
        {"OomKillDisable", oom_kill_disable_supported(ctx.cgroups)},
        {"NGoroutines", 0},
        {"SystemTime", rfc3339_nano(std::chrono::system_clock::now())},
        {"LoggingDriver", "json-file"},
        {"CgroupDriver", ctx.cgroups.driver},
        {"CgroupVersion", std::to_string(ctx.cgroups.version)},
        {"NEventsListener", 0},
        {"KernelVersion", kernel_version()},
        {"OperatingSystem", os_pretty_name()},
        {"OSVersion", os_version()},
        {"OSType", "linux"},
        {"Architecture", machine()},
        {"IndexServerAddress", "https://index.docker.io/v1/"},
        {"RegistryConfig",
         {{"InsecureRegistryCIDRs", {"127.0.0.0/8"}},
          {"IndexConfigs", json::object()},
          {"Mirrors", ctx.config.registry_mirrors}}},
        {"NCPU", sysconf(_SC_NPROCESSORS_ONLN)},
        {"MemTotal", static_cast<int64_t>(si.totalram) * si.mem_unit},
        {"GenericResources", nullptr},
        {"DockerRootDir", ctx.config.data_root},
        {"HttpProxy", ""},
        {"HttpsProxy", ""},
        {"NoProxy", ""},
        {"Name", hostname()},
        {"Labels", labels},
        {"ExperimentalBuild", false},
        {"ServerVersion", BERTH_VERSION},
        {"Runtimes", runtimes},
        {"DefaultRuntime", ctx.default_runtime.name},
        {"Swarm",
         {{"NodeID", ""},
          {"NodeAddr", ""},
          {"LocalNodeState", "inactive"},
          {"ControlAvailable", false},
          {"Error", ""},
          {"RemoteManagers", nullptr}}},
        {"LiveRestoreEnabled", true},
        {"Isolation", ""},
        // As dockerd, the init's name ("docker-init"), not where it was found.
        {"InitBinary", std::filesystem::path(ctx.config.init_path).filename().string()},
        // berthd drives the runtime itself: there is no containerd to name.
        {"ContainerdCommit", {{"ID", ""}}},
        {"RuncCommit", {{"ID", runtime_commit(runtime_version_output(ctx.default_runtime))}}},
        {"InitCommit",
         {{"ID", ctx.config.init_path.empty()
                     ? ""
                     : init_version(version_output(ctx.config.init_path, "")).second}}},
        {"SecurityOptions", security_options(ctx)},
        {"Warnings", info_warnings(ctx, forwarding)}};
    if (info["Warnings"].empty()) info["Warnings"] = nullptr;  // Go's nil list, as dockerd sends it
    if (api_version(req) < 142) {  // gone from later versions; their clients read them still
      const auto readable = [](const char* path) { return ::access(path, F_OK) == 0; };
      const auto enabled = [](const char* path) {
        try {
          return read_file(path).starts_with("1");
        } catch (const std::exception&) {
          return false;
        }
      };
      info["KernelMemory"] = readable("/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes");
      info["KernelMemoryTCP"] = readable("/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes");
      info["BridgeNfIptables"] = enabled("/proc/sys/net/bridge/bridge-nf-call-iptables");
      info["BridgeNfIp6tables"] = enabled("/proc/sys/net/bridge/bridge-nf-call-ip6tables");
    }
    res.send_json(200, info);
  });

  r.add("GET", "/events", [&ctx](http::Request& req, http::Response& res) {
    const auto filter = EventFilter::parse(req.query("filters").value_or(""));
    std::optional<int64_t> since, until;
    if (auto s = req.query("since"); s && !s->empty()) since = to_nanos(*s);
    if (auto u = req.query("until"); u && !u->empty()) until = to_nanos(*u);
    // As dockerd: --until alone replays the retained history up to it.
    if (until && !since) since = 0;
    auto subscription = ctx.events.subscribe(since);
    res.start_stream(200, "application/json");
    for (;;) {
      if (res.cancelled()) return;
      const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      // Past `until`, only what is already queued (the replayed history) still goes out.
      const bool past_until = until && now >= *until;
      auto event = subscription->next(past_until ? 0ms : 500ms);
      if (!event) {
        if (past_until) break;
        continue;
      }
      if (until && event->time_nano > *until) break;
      if (filter.matches(*event)) res.write(event->to_json().dump() + "\n");
    }
    res.finish();
  });

  r.add("GET", "/system/df", [&ctx](http::Request& req, http::Response& res) {
    json images = json::array();
    auto listed = ctx.images.list();
    // Newest first, as dockerd lists both images and containers here.
    std::stable_sort(listed.begin(), listed.end(), [](const Image& a, const Image& b) {
      return a.created_unix > b.created_unix;
    });
    const LayerUsage layers = layer_usage(ctx.images, listed);
    const int64_t layers_size = layers.total_size;
    for (const auto& img : listed) {
      const auto users = ctx.containers.containers_using(img.id);
      images.push_back(
          {{"Id", img.id},
           {"ParentId", img.parent},
           {"RepoTags", img.repo_tags},
           {"RepoDigests", img.repo_digests},
           {"Created", img.created_unix},
           {"Size", img.size},
           {"SharedSize", shared_size(img, layers)},
           {"Labels", img.config.value("config", json::object()).value("Labels", json::object())},
           {"Containers", users.size()}});
      // As /images/json: the old size field and nulls for empty lists before 1.44.
      if (api_version(req) < 144) {
        json& row = images.back();
        row["VirtualSize"] = img.size;
        if (row["Labels"].is_null() || row["Labels"].empty()) row["Labels"] = nullptr;
        if (row["RepoDigests"].empty()) row["RepoDigests"] = nullptr;
      }
    }
    json containers = json::array();
    auto all = ctx.containers.all();
    std::stable_sort(all.begin(), all.end(),
                     [](const Container& a, const Container& b) { return created_before(b, a); });
    for (const auto& c : all)
      containers.push_back(summary_json(c, ctx.containers, ctx.images, api_version(req)));
    json df = {{"LayersSize", layers_size},
               {"Images", images},
               {"Containers", containers},
               {"Volumes", json::array()},
               {"BuildCache", nullptr}};  // berth keeps no build cache: none, as Go's nil
    if (api_version(req) < 142) df["BuilderSize"] = 0;  // deprecated and gone from 1.42
    res.send_json(200, df);
  });
}

}  // namespace berth::engine::api
