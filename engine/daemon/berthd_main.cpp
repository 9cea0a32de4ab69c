// berthd: the engine daemon. Wires the stores and managers together, serves the Docker API on every
// -H listener, and on SIGTERM stops serving while containers keep running (live restore).
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "engine/api/api_server.hpp"
#include "engine/containers/container_fs.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/exec_manager.hpp"
#include "engine/containers/gzip_file.hpp"
#include "engine/containers/oci_seccomp.hpp"
#include "engine/containers/runtime.hpp"
#include "engine/daemon/daemon_config.hpp"
#include "engine/events.hpp"
#include "engine/images/image_store.hpp"
#include "engine/network/network_manager.hpp"

namespace fs = std::filesystem;
using namespace berth;
using namespace berth::engine;

namespace {

std::string engine_id(const std::string& data_root) {
  const std::string path = data_root + "/engine-id";
  try {
    return read_file(path);
  } catch (const NotFound&) {
  }
  std::random_device rd;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%08x%04x", rd(), rd() & 0xffff,
                (rd() & 0x0fff) | 0x4000, (rd() & 0x3fff) | 0x8000, rd(), rd() & 0xffff);
  write_file_atomic(path, buf);
  return buf;
}

std::string next_to_self(const std::string& name) {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && fs::exists(self.parent_path() / name)) return (self.parent_path() / name).string();
  return "";
}

std::string find_init(const std::string& configured) {
  if (!configured.empty()) return configured;
  for (const char* name : {"berth-init", "docker-init"})
    if (auto p = next_to_self(name); !p.empty()) return p;
  for (const char* p :
       {"/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/libexec/docker/docker-init"})
    if (fs::exists(p)) return p;
  return "";
}

// --seccomp-profile as containers use it: "" for the built-in profile, "unconfined", or the named
// file's profile as JSON text. A profile that does not convert stops berthd here, not every start.
std::string load_seccomp_profile(const std::string& setting) {
  if (setting.empty() || setting == "builtin") return "";
  if (setting == "unconfined") return setting;
  const auto profile = parse_json_object(read_file(setting), "seccomp profile " + setting);
  docker_profile_to_oci(profile, {});
  return profile.dump();
}

// Containers inherit at most the engine's own open-file limit: raise it as far as the host allows,
// as dockerd's systemd unit does with LimitNOFILE.
void raise_nofile_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  for (rlim_t want : {rlim_t{1048576}, rlim_t{524288}, rlim_t{65536}}) {
    if (want <= limit.rlim_max) break;
    rlimit raised{want, want};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return;
  }
}

int run(int argc, char** argv) {
  DaemonConfig config = DaemonConfig::from_args(argc, argv);
  log::set_level(config.log_level);
  if (!config.log_file.empty()) log::set_output_file(config.log_file);
  if (geteuid() != 0) throw Error("berthd must run as root");
  raise_nofile_limit();

  ensure_directory(config.data_root, 0711);
  ensure_directory(config.exec_root, 0711);
  if (config.shim_path.empty()) config.shim_path = next_to_self("berth-shim");
  if (config.shim_path.empty()) throw Error("berth-shim not found next to berthd; pass --shim");
  config.init_path = find_init(config.init_path);

  const CgroupInfo cgroups = detect_cgroups();
  const auto runtimes = detect_runtimes();
  const RuntimeInfo& runtime_info = default_runtime(runtimes, config.default_runtime);
  log::info("runtime chosen", {{"runtime", runtime_info.name},
                               {"version", runtime_info.version},
                               {"cgroup_version", cgroups.version}});

  EventBus events;
  ImageStore images(config.data_root + "/image");
  BridgeConfig bridge;
  bridge.bridge_name = config.bridge_name;
  bridge.subnet = config.bridge_subnet;
  bridge.gateway = config.bridge_gateway;
  bridge.netns_dir = config.exec_root + "/netns";
  bridge.state_file = config.data_root + "/network/bridge.json";
  ensure_directory(config.data_root + "/network", 0700);
  NetworkManager network(bridge);
  ContainerPaths paths{config.data_root, config.exec_root,
                       config.shim_path, config.init_path,
                       config.dns,       load_seccomp_profile(config.seccomp_profile)};
  ContainerManager containers(
      paths, images, network, events,
      Runtime(runtime_info, config.exec_root + "/runtime/" + runtime_info.name));
  containers.restore();
  ExecManager execs(containers, events);
  ContainerFilesystem filesystem(containers, images);

  api::SystemContext context{config,
                             containers,
                             execs,
                             filesystem,
                             images,
                             events,
                             runtimes,
                             runtime_info,
                             cgroups,
                             network,
                             engine_id(config.data_root)};
  auto server = api::make_api_server(context);

  // Signals are taken synchronously by this thread; every other thread inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  api::listen_all(*server, config);
  log::info("berthd started", {{"version", BERTH_VERSION}, {"data_root", config.data_root}});
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGHUP) continue;  // no reloadable settings yet
    log::info("shutting down", {{"signal", sig}});
    break;
  }
  containers.close_sessions();
  server->stop(std::chrono::seconds(5));
  containers.shutdown();
  log::info("berthd stopped; containers keep running");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Thread-per-connection would give malloc up to 8 arenas per core, each holding on to its own
  // free memory; two are plenty for an engine whose requests mostly wait on processes and disks.
  ::mallopt(M_ARENA_MAX, 2);
  try {
    // A shim rotating a compress=true log runs `berthd log-compress FROM TO HEADER` (as dockerd
    // re-executes itself for such jobs), which keeps zlib out of every container's shim.
    if (argc == 5 && std::string_view(argv[1]) == "log-compress") {
      berth::engine::gzip_file(argv[2], argv[3], argv[4]);
      return 0;
    }
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berthd: %s\n", e.what());
    return 1;
  }
}
