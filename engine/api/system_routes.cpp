#include "engine/api/system_routes.hpp"

#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/http_server.hpp"
#include "common/time_format.hpp"
#include "engine/api/api_common.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/container_views.hpp"
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

json version_json() {
  const std::string kernel = kernel_version();
  const json engine = {{"Name", "Engine"},
                       {"Version", BERTH_VERSION},
                       {"Details",
                        {{"ApiVersion", "1.50"},
                         {"Arch", "amd64"},
                         {"BuildTime", ""},
                         {"Experimental", "false"},
                         {"GitCommit", "berth"},
                         {"GoVersion", "n/a (C++)"},
                         {"KernelVersion", kernel},
                         {"MinAPIVersion", "1.24"},
                         {"Os", "linux"}}}};
  return {{"Platform", {{"Name", "berth Engine"}}},
          {"Components", {engine}},
          {"Version", BERTH_VERSION},
          {"ApiVersion", "1.50"},
          {"MinAPIVersion", "1.24"},
          {"GitCommit", "berth"},
          {"GoVersion", "n/a (C++)"},
          {"Os", "linux"},
          {"Arch", "amd64"},
          {"KernelVersion", kernel},
          {"Experimental", false},
          {"BuildTime", ""}};
}

// What `docker info` lists under "Security Options": the containers' default seccomp profile
// (named by its setting, as dockerd does), and private cgroup namespaces on cgroup v2.
json security_options(const SystemContext& ctx) {
  const std::string& profile = ctx.config.seccomp_profile;
  json out = json::array({"name=seccomp,profile=" + (profile.empty() ? "builtin" : profile)});
  if (ctx.cgroups.version == 2) out.push_back("name=cgroupns");
  return out;
}

}  // namespace

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
        [](http::Request&, http::Response& res) { res.send_json(200, version_json()); });

  r.add("GET", "/info", [&ctx](http::Request&, http::Response& res) {
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
    json warnings = json::array();
    for (const auto& rt : ctx.runtimes)
      if (!rt.usable)
        warnings.push_back("WARNING: runtime " + rt.name + " is unusable here: " + rt.reason);
    std::vector<std::string> labels = ctx.config.labels;
    const bool forwarding = [] {
      try {
        return read_file("/proc/sys/net/ipv4/ip_forward").starts_with("1");
      } catch (const std::exception&) {
        return false;
      }
    }();
    json info = {{"ID", ctx.engine_id},
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
                 {"Debug", ctx.config.log_level == "debug"},
                 {"NFd", std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                       std::filesystem::directory_iterator())},
                 {"OomKillDisable", false},
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
                 {"Architecture", "x86_64"},
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
                 {"InitBinary", ctx.config.init_path},
                 {"ContainerdCommit", {{"ID", ""}}},
                 {"RuncCommit", {{"ID", ctx.default_runtime.version}}},
                 {"InitCommit", {{"ID", ""}}},
                 {"SecurityOptions", security_options(ctx)},
                 {"Warnings", warnings}};
    res.send_json(200, info);
  });

  r.add("GET", "/events", [&ctx](http::Request& req, http::Response& res) {
    const auto filter = EventFilter::parse(req.query("filters").value_or(""));
    std::optional<int64_t> since, until;
    if (auto s = req.query("since"); s && !s->empty()) since = to_nanos(*s);
    if (auto u = req.query("until"); u && !u->empty()) until = to_nanos(*u);
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

  r.add("GET", "/system/df", [&ctx](http::Request&, http::Response& res) {
    json images = json::array();
    int64_t layers_size = 0;
    for (const auto& img : ctx.images.list()) {
      layers_size += img.size;
      const auto users = ctx.containers.containers_using(img.id);
      images.push_back(
          {{"Id", img.id},
           {"ParentId", img.parent},
           {"RepoTags", img.repo_tags},
           {"RepoDigests", img.repo_digests},
           {"Created", img.created_unix},
           {"Size", img.size},
           {"SharedSize", -1},
           {"Labels", img.config.value("config", json::object()).value("Labels", json::object())},
           {"Containers", users.size()}});
    }
    json containers = json::array();
    for (const auto& c : ctx.containers.all())
      containers.push_back(summary_json(c, true, ctx.containers));
    res.send_json(200, {{"LayersSize", layers_size},
                        {"Images", images},
                        {"Containers", containers},
                        {"Volumes", json::array()},
                        {"BuildCache", json::array()}});
  });
}

}  // namespace berth::engine::api
