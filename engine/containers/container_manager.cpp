#include "engine/containers/container_manager.hpp"

#include <sys/mount.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/time_format.hpp"
#include "engine/containers/cgroup_attach_warmer.hpp"
#include "engine/containers/container_files.hpp"
#include "engine/containers/init_layer.hpp"
#include "engine/containers/log_options.hpp"
#include "engine/containers/mount_propagation.hpp"
#include "engine/containers/oci_spec.hpp"
#include "engine/containers/start_errors.hpp"
#include "engine/containers/stream_pump.hpp"
#include "engine/containers/trash.hpp"
#include "engine/containers/working_dir.hpp"
#include "engine/events.hpp"
#include "engine/images/digest.hpp"
#include "engine/images/image_store.hpp"
#include "engine/images/rootfs.hpp"
#include "engine/network/network_manager.hpp"
#include "engine/network/network_state.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace berth::engine {

namespace {
std::string now_rfc3339() {
  return rfc3339_nano(std::chrono::system_clock::now());
}

std::vector<PortBinding> port_bindings(const Container& c) {
  std::vector<PortBinding> out;
  const json bindings = c.host_config.value("PortBindings", json::object());
  if (bindings.is_object()) {
    for (const auto& [key, list] : bindings.items()) {
      const auto slash = key.find('/');
      const uint16_t port = static_cast<uint16_t>(std::stoi(key.substr(0, slash)));
      const std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
      if (!list.is_array() || list.empty()) {
        out.push_back({"", 0, port, proto});
        continue;
      }
      for (const auto& b : list) {
        const std::string host_port = b.value("HostPort", "");
        PortBinding pb{b.value("HostIp", ""), 0, port, proto};
        if (!host_port.empty()) {
          try {
            const int hp = std::stoi(host_port.substr(0, host_port.find('-')));
            if (hp < 0 || hp > 65535) throw std::out_of_range("port");
            pb.host_port = static_cast<uint16_t>(hp);
          } catch (const std::exception&) {
            throw InvalidArgument("invalid host port: " + host_port);
          }
        }
        out.push_back(pb);
      }
    }
  }
  // -P: every exposed port not bound explicitly gets a free host port.
  if (c.host_config.value("PublishAllPorts", false) && c.config.contains("ExposedPorts")) {
    for (const auto& [key, _] : c.config["ExposedPorts"].items()) {
      const auto slash = key.find('/');
      const uint16_t port = static_cast<uint16_t>(std::stoi(key.substr(0, slash)));
      const std::string proto = slash == std::string::npos ? "tcp" : key.substr(slash + 1);
      const bool bound = std::any_of(out.begin(), out.end(), [&](const PortBinding& p) {
        return p.container_port == port && p.protocol == proto;
      });
      if (!bound) out.push_back({"", 0, port, proto});
    }
  }
  return out;
}

// A bind ("src:dst[:opts]") made read-only: ",ro" replaces any rw/ro option.
std::string read_only_bind(const std::string& bind) {
  const auto first = bind.find(':');
  const auto second = bind.find(':', first + 1);
  std::string opts = second == std::string::npos ? "" : bind.substr(second + 1);
  std::string kept;
  size_t start = 0;
  while (start <= opts.size() && !opts.empty()) {
    const auto comma = opts.find(',', start);
    const std::string opt = opts.substr(start, comma - start);
    if (opt != "rw" && opt != "ro" && !opt.empty()) kept += (kept.empty() ? "" : ",") + opt;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return bind.substr(0, second) + ":" + (kept.empty() ? "ro" : kept + ",ro");
}

std::string bind_destination(const std::string& bind) {
  const auto first = bind.find(':');
  const std::string rest = bind.substr(first + 1);
  return rest.substr(0, rest.find(':'));
}

// The Binds and bind --mounts a --volumes-from source contributes (dockerd copies its mount
// points, not its tmpfs), read-only with ":ro"; a destination the container mounts itself wins.
void add_volumes_from(json& hc, const Container& source, bool read_only) {
  std::set<std::string> taken;
  for (const auto& b : get_string_array(hc, "Binds")) taken.insert(bind_destination(b));
  if (hc.contains("Mounts") && hc["Mounts"].is_array())
    for (const auto& m : hc["Mounts"]) taken.insert(m.value("Target", ""));
  if (!hc.contains("Binds") || !hc["Binds"].is_array()) hc["Binds"] = json::array();
  for (const auto& b : get_string_array(source.host_config, "Binds"))
    if (taken.insert(bind_destination(b)).second)
      hc["Binds"].push_back(read_only ? read_only_bind(b) : b);
  const json* mounts = find_field(source.host_config, "Mounts");
  if (!mounts || !mounts->is_array()) return;
  if (!hc.contains("Mounts") || !hc["Mounts"].is_array()) hc["Mounts"] = json::array();
  for (json m : *mounts) {
    if (m.value("Type", "") != "bind" || !taken.insert(m.value("Target", "")).second) continue;
    if (read_only) m["ReadOnly"] = true;
    hc["Mounts"].push_back(std::move(m));
  }
}

// The IDs GET /networks shows for the host and none networks, and the networks' drivers.
std::string builtin_network_id(const std::string& name) {
  return sha256_hex("berth-network-" + name);
}
std::string builtin_network_driver(const std::string& name) {
  return name == "none" ? "null" : name;
}
}  // namespace

// moby's signal.ParseSignal: a number (any but 0), or a name of its Linux signal map, with or
// without "SIG", in any case; real-time signals as RTMIN, RTMIN+1 … RTMIN+15, RTMAX-14 … RTMAX.
int parse_signal(const std::string& text) {
  static const std::map<std::string, int> names = [] {
    std::map<std::string, int> m = {
        {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
        {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
        {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
        {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
        {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
        {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
        {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},   {"IOT", SIGIOT},
        {"POLL", SIGPOLL}, {"CLD", SIGCHLD}};
    // Go's (and so dockerd's) real-time range, whatever this libc reserves for itself.
    constexpr int kRtMin = 34, kRtMax = 64;
    m["RTMIN"] = kRtMin;
    m["RTMAX"] = kRtMax;
    for (int i = 1; i <= 15; ++i) {
      m["RTMIN+" + std::to_string(i)] = kRtMin + i;
      m["RTMAX-" + std::to_string(i)] = kRtMax - i;
    }
    return m;
  }();
  if (text.empty()) throw InvalidArgument("Invalid signal: (empty)");
  if (std::all_of(text.begin(), text.end(), ::isdigit)) {
    const int n = text.size() > 9 ? -1 : std::stoi(text);
    if (n < 1) throw InvalidArgument("Invalid signal: " + text);
    return n;
  }
  std::string upper;
  for (char ch : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (upper.starts_with("SIG")) upper = upper.substr(3);
  auto it = names.find(upper);
  if (it == names.end()) throw InvalidArgument("Invalid signal: " + text);
  return it->second;
}

bool signal_valid_on_linux(int sig) {
  return (sig >= 1 && sig <= 31) || (sig >= 34 && sig <= 64);
}

ContainerManager::ContainerManager(ContainerPaths paths, ImageStore& images,
                                   NetworkManager& network, EventBus& events, Runtime runtime)
    : paths_(std::move(paths)),
      images_(images),
      network_(network),
      events_(events),
      runtime_(std::move(runtime)) {
  ensure_directory(paths_.data_root + "/containers", 0710);
  ensure_directory(paths_.exec_root + "/containers", 0710);
  empty_trash(paths_.data_root);
  empty_trash(paths_.exec_root);
}

ContainerManager::~ContainerManager() {
  shutdown();
}

void ContainerManager::close_sessions() {
  sessions_closing_ = true;  // attaches waiting for a start see it within a second
  interrupt_stream_pumps();
}

void ContainerManager::shutdown() {
  shutting_down_ = true;
}

std::string ContainerManager::container_dir(const std::string& id) const {
  return paths_.data_root + "/containers/" + id;
}
std::string ContainerManager::bundle_dir(const std::string& id) const {
  return paths_.exec_root + "/containers/" + id;
}
std::string ContainerManager::rootfs_dir(const std::string& id) const {
  return bundle_dir(id) + "/rootfs";
}
std::string ContainerManager::init_layer_dir(const std::string& id) const {
  return container_dir(id) + "/init";
}
std::string ContainerManager::log_path(const std::string& id) const {
  return container_dir(id) + "/" + id + "-json.log";
}

void ContainerManager::save(const Container& c, Durability durability) const {
  const std::string path = container_dir(c.id) + "/config.v2.json";
  if (durability == Durability::synced)
    write_file_atomic(path, c.to_record().dump(), 0600);
  else
    write_file_replace(path, c.to_record().dump(), 0600);
}

void ContainerManager::publish(const Container& c, const std::string& action,
                               std::map<std::string, std::string> extra) const {
  Event e;
  e.type = "container";
  e.action = action;
  e.id = c.id;
  e.attributes = event_attributes(c, std::move(extra));
  events_.publish(std::move(e));
}

ContainerManager::EntryPtr ContainerManager::find(const std::string& ref) const {
  if (ref.empty()) throw NotFound("No such container: (empty name)");
  // Names and IDs hold no slash after the first character: this can only be a link's name.
  if (ref.find('/', 1) != std::string::npos) {
    if (auto e = find_by_link_name(ref)) return e;
    throw NotFound("No such container: " + ref);
  }
  std::lock_guard lock(mutex_);
  if (auto it = by_id_.find(ref); it != by_id_.end()) return it->second;
  const std::string as_name = ref.front() == '/' ? ref : "/" + ref;
  if (auto it = id_by_name_.find(as_name); it != id_by_name_.end()) return by_id_.at(it->second);
  EntryPtr match;
  for (const auto& [id, entry] : by_id_) {
    if (!id.starts_with(ref)) continue;
    if (match) throw InvalidArgument("multiple IDs found with provided prefix: " + ref);
    match = entry;
  }
  if (!match) throw NotFound("No such container: " + ref);
  return match;
}

std::string ContainerManager::resolve(const std::string& ref) const {
  auto e = find(ref);
  std::lock_guard lock(e->mutex);
  return e->c.id;
}

Container ContainerManager::get(const std::string& ref) const {
  auto e = find(ref);
  std::lock_guard lock(e->mutex);
  return e->c;
}

std::vector<Container> ContainerManager::all() const {
  std::vector<Container> out;
  for_each([&](const Container& c) { out.push_back(c); });
  return out;
}

void ContainerManager::for_each(const std::function<void(const Container&)>& fn) const {
  // The entries are collected first: a container's lock is never taken under the maps' lock.
  std::vector<EntryPtr> entries;
  {
    std::lock_guard lock(mutex_);
    entries.reserve(by_id_.size());
    for (const auto& [id, e] : by_id_) entries.push_back(e);
  }
  for (const auto& e : entries) {
    std::lock_guard lock(e->mutex);
    if (!e->removed) fn(e->c);
  }
}

bool ContainerManager::image_in_use(const std::string& image_id) const {
  return !containers_using(image_id).empty();
}

std::vector<std::string> ContainerManager::containers_using(const std::string& image_id) const {
  std::vector<std::string> ids;
  for_each([&](const Container& c) {
    if (c.image_id == image_id) ids.push_back(c.id);
  });
  return ids;
}

void ContainerManager::prepare_rootfs(Entry& e) {
  const Container& c = e.c;
  const Image image = images_.get(c.image_id);
  const std::string rw = container_dir(c.id) + "/rw";
  ensure_directory(rw + "/upper", 0755);
  ensure_directory(rw + "/work", 0700);
  ensure_directory(rootfs_dir(c.id), 0755);
  unmount(rootfs_dir(c.id));
  const std::string init = init_layer_dir(c.id);
  ensure_init_layer(init);
  std::vector<fs::path> lowers = images_.layer_dirs(image);
  lowers.insert(lowers.begin(), init);
  mount_overlay(lowers, rw + "/upper", rw + "/work", rootfs_dir(c.id));
}

Container ContainerManager::running_donor(const Entry& e, const std::string& ref) const {
  const auto donor = find(ref);
  if (donor.get() == &e) throw InvalidArgument("a container cannot join its own namespaces");
  std::lock_guard lock(donor->mutex);
  return donor->c;
}

void ContainerManager::join_network_of(Entry& e, const std::string& ref, OciSpecInput& in) const {
  const Container donor = running_donor(e, ref);
  if (donor.state.status == "restarting")
    throw Conflict("Container " + donor.id + " is restarting, wait until the container is running");
  if (donor.state.status != "running" && donor.state.status != "paused")
    throw Conflict("cannot join network of a non running container: " + ref);
  in.network_namespace = "/proc/" + std::to_string(donor.state.pid) + "/ns/net";
  // Its name too: the hostname file shared with it says so.
  e.c.config["Hostname"] = donor.config.value("Hostname", "");
  e.c.config["Domainname"] = donor.config.value("Domainname", "");
}

void ContainerManager::join_donor_namespaces(const Entry& e, OciSpecInput& in) const {
  const std::string pid_mode = e.c.host_config.value("PidMode", "");
  if (pid_mode.starts_with("container:")) {
    const Container donor = running_donor(e, pid_mode.substr(10));
    if (donor.state.status != "running" || donor.state.pid <= 0)
      throw Conflict("container " + donor.id + " is not running");
    in.pid_namespace = "/proc/" + std::to_string(donor.state.pid) + "/ns/pid";
  }
  const std::string ipc_mode = e.c.host_config.value("IpcMode", "");
  if (ipc_mode.starts_with("container:")) {
    const Container donor = running_donor(e, ipc_mode.substr(10));
    const std::string cannot_join = "can't join IPC of container " + donor.id + ": ";
    if (donor.state.status != "running" || donor.state.pid <= 0)
      throw Conflict(cannot_join + "container " + donor.id + " is not running");
    if (donor.host_config.value("IpcMode", "") != "shareable")
      throw InvalidArgument(cannot_join +
                            "non-shareable IPC (hint: use IpcMode:shareable for the donor "
                            "container)");
    in.ipc_namespace = "/proc/" + std::to_string(donor.state.pid) + "/ns/ipc";
    in.shared_shm = shm_dir(donor.id);
  }
}

// --ipc shareable: the container's /dev/shm is a tmpfs mounted on the host (as dockerd's
// containers/<id>/mounts/shm), so containers joining its IPC can bind the same one; a mount inside
// the container's own mount namespace could not be bound into another's.
void ContainerManager::prepare_shareable_shm(const Container& c, OciSpecInput& in) const {
  if (c.host_config.value("IpcMode", "") != "shareable") return;
  const std::string dir = shm_dir(c.id);
  ensure_directory(dir, 0755);
  unmount(dir);  // a previous run's
  int64_t size = c.host_config.value("ShmSize", int64_t{0});
  if (size <= 0) size = kDefaultShmSizeBytes;
  const std::string options = "mode=1777,size=" + std::to_string(size);
  if (::mount("shm", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str()) != 0)
    throw_errno("mount shm for container " + c.id);
  in.shared_shm = dir;
}

std::string ContainerManager::shm_dir(const std::string& id) const {
  return bundle_dir(id) + "/shm";
}

json ContainerManager::host_config_with_volumes_from(const Entry& e) const {
  json hc = e.c.host_config;
  for (const auto& entry : get_string_array(e.c.host_config, "VolumesFrom")) {
    const auto colon = entry.find(':');
    const Container source = running_donor(e, entry.substr(0, colon));
    add_volumes_from(hc, source, colon != std::string::npos && entry.substr(colon + 1) == "ro");
  }
  return hc;
}

json ContainerManager::host_config_with_volumes_from(const Container& c) const {
  json hc = c.host_config;
  for (const auto& entry : get_string_array(c.host_config, "VolumesFrom")) {
    const auto colon = entry.find(':');
    try {
      const auto source = find(entry.substr(0, colon));
      if (source->c.id == c.id) continue;
      Container copy;
      {
        std::lock_guard lock(source->mutex);
        copy = source->c;
      }
      add_volumes_from(hc, copy, colon != std::string::npos && entry.substr(colon + 1) == "ro");
    } catch (const NotFound&) {
      // The source is gone: its mounts are added when the container starts, or the start fails.
    }
  }
  return hc;
}

std::string ContainerManager::network_id(const std::string& name) const {
  return name == "bridge" ? network_.bridge_network().id : builtin_network_id(name);
}

void ContainerManager::publish_network(const Container& c, const std::string& action) const {
  const std::string name = network_mode_of(c.host_config);
  if (name.starts_with("container:")) return;  // no endpoint of its own: dockerd says nothing
  Event ev;
  ev.type = "network";
  ev.action = action;
  ev.id = network_id(name);
  ev.attributes = {{"container", c.id}, {"name", name}, {"type", builtin_network_driver(name)}};
  events_.publish(std::move(ev));
}

ContainerManager::HeldResources ContainerManager::take_resources_locked(Entry& e) {
  // The last health results stay visible in inspect, and the status turns unhealthy, as dockerd
  // marks a container whose health monitor stopped ("for compatibility reasons", moby's
  // CloseMonitorChannel).
  if (e.health_checker && e.c.state.health.is_object()) e.c.state.health["Status"] = "unhealthy";
  e.health_checker.reset();
  ++e.health_generation;
  HeldResources held{e.c.id, !e.c.network.is_null()};
  e.c.network = nullptr;
  return held;
}

void ContainerManager::give_back(HeldResources& held) {
  try {
    unmount(shm_dir(held.id));
    unmount(rootfs_dir(held.id));
  } catch (const std::exception& ex) {
    log::warn("cannot unmount container rootfs", {{"id", held.id}, {"error", ex.what()}});
  }
  give_back_network(held);
}

void ContainerManager::give_back_network(HeldResources& held) {
  if (!held.network) return;
  held.network = false;
  try {
    network_.detach(held.id);
  } catch (const std::exception& ex) {
    log::warn("cannot detach container network", {{"id", held.id}, {"error", ex.what()}});
  }
}

void ContainerManager::release_resources(Entry& e) {
  HeldResources held = take_resources_locked(e);
  give_back(held);
}

void ContainerManager::with_rootfs(
    const std::string& ref, const std::function<void(const Container&, const std::string&)>& fn) {
  auto e = find(ref);
  std::unique_lock lock(e->mutex);
  if (e->c.state.running()) {
    const Container c = e->c;
    lock.unlock();  // the mount stays while running; long copies must not block lifecycle calls
    fn(c, rootfs_dir(c.id));
    return;
  }
  // Stopped: mount for the duration of the call, holding the lock so start cannot race the unmount.
  prepare_rootfs(*e);
  try {
    fn(e->c, rootfs_dir(e->c.id));
  } catch (...) {
    unmount(rootfs_dir(e->c.id));
    throw;
  }
  unmount(rootfs_dir(e->c.id));
}

// The previous run's shim deletes the container from the runtime just after reporting its exit, so
// a quick restart (a restart policy, `docker start` at once) can get here first: give the shim a
// moment, then delete it ourselves, as we always do when no shim is left to do it.
void ContainerManager::clear_previous_runtime_state(Entry& e) {
  const std::string& id = e.c.id;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (runtime_.has_state(id)) {
    if (!e.shim_deletes_runtime_state || std::chrono::steady_clock::now() > deadline) {
      try {
        runtime_.remove(id, true);
      } catch (const Error& ex) {
        log::warn("cannot delete container from the runtime", {{"id", id}, {"error", ex.what()}});
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  e.shim_deletes_runtime_state = false;
}

ProbeResult ContainerManager::run_health_probe(const Container& c,
                                               const std::vector<std::string>& command,
                                               std::chrono::nanoseconds timeout) const {
  OciSpecInput in;
  in.config = c.config;
  in.host_config = c.host_config;
  in.link_env = link_env(c);
  in.rootfs = rootfs_dir(c.id);
  in.hostname = c.config.value("Hostname", c.short_id());
  in.passwd_path = in.rootfs + "/etc/passwd";
  in.group_path = in.rootfs + "/etc/group";
  const std::string process_file = bundle_dir(c.id) + "/healthcheck.json";
  write_file_replace(process_file, make_exec_process({{"Cmd", command}}, in).dump(), 0600);
  // Each probe is an exec, and shows in the events as dockerd's do.
  const std::string exec_id = random_hex_id(64);
  std::string command_line;
  for (const auto& arg : command) command_line += (command_line.empty() ? "" : " ") + arg;
  publish(c, "exec_create: " + command_line, {{"execID", exec_id}});
  publish(c, "exec_start: " + command_line, {{"execID", exec_id}});
  try {
    const auto result = runtime_.exec_capture(
        c.id, process_file, std::chrono::ceil<std::chrono::milliseconds>(timeout));
    const int exit_code = result.status.shell_code();
    publish(c, "exec_die", {{"execID", exec_id}, {"exitCode", std::to_string(exit_code)}});
    return {exit_code, result.stdout_data + result.stderr_data};
  } catch (const Timeout&) {
    return {-1, "Health check exceeded timeout (" + milliseconds_text(timeout) + " ms)"};
  }
}

void ContainerManager::start_health_check(Entry& e) {
  e.health_checker.reset();
  const uint64_t generation = ++e.health_generation;
  const auto config = HealthConfig::from_config(e.c.config);
  if (!config) {
    e.health.reset();
    e.c.state.health = nullptr;
    return;
  }
  e.health.emplace();
  e.c.state.health = e.health->to_json();
  const Container snapshot = e.c;
  const int retries = config->retries;
  std::weak_ptr<Entry> weak = e.shared_from_this();
  e.health_checker = std::make_unique<HealthChecker>(
      *config,
      [this, snapshot](const std::vector<std::string>& command, std::chrono::nanoseconds timeout) {
        return run_health_probe(snapshot, command, timeout);
      },
      [this, weak, generation, retries](const ProbeResult& result, const std::string& start,
                                        const std::string& end, bool in_start_period) {
        const auto entry = weak.lock();
        if (!entry) return;
        std::lock_guard lock(entry->mutex);
        if (entry->health_generation != generation || !entry->health) return;
        const bool changed = entry->health->record(result, start, end, retries, in_start_period);
        entry->c.state.health = entry->health->to_json();
        if (!changed) return;
        save(entry->c);
        publish(entry->c, "health_status: " + entry->health->status());
      });
}

void ContainerManager::start_locked(Entry& e, std::unique_lock<std::mutex>& lock) {
  Container& c = e.c;
  if (e.removed) throw NotFound("No such container: " + c.id);
  if (c.state.status == "removing")
    throw Conflict("container " + c.id + " is marked for removal and cannot be started");
  // Phase durations go to the debug log: where a `docker run` spends its time.
  using PhaseClock = std::chrono::steady_clock;
  auto phase_start = PhaseClock::now();
  auto lap = [&phase_start] {
    const auto now = PhaseClock::now();
    const auto elapsed = now - phase_start;
    phase_start = now;
    return milliseconds_text(elapsed);
  };
  std::string rootfs_ms, prepare_ms, launch_ms;
  try {
    const CgroupAttachWarmer warmer;  // until the runtime has put the process in its cgroups
    clear_previous_runtime_state(e);
    prepare_rootfs(e);
    ensure_working_dir(rootfs_dir(c.id), c.config.value("WorkingDir", ""));
    rootfs_ms = lap();
    OciSpecInput in;
    const std::string mode = network_mode_of(c.host_config);
    std::string ip, gateway;
    if (mode == "host") {
      in.network_namespace = "host";
    } else if (mode == "bridge") {
      const Attachment a =
          network_.attach(c.id, port_bindings(c), parse_mac(c.config.value("MacAddress", "")));
      c.network = {{"network", a.network},
                   {"netns_path", a.netns_path},
                   {"ip_address", a.ip_address},
                   {"gateway", a.gateway},
                   {"mac_address", a.mac_address},
                   {"prefix_length", a.prefix_length},
                   {"inspect", network_.inspect_json(a)}};
      in.network_namespace = a.netns_path;
      ip = a.ip_address;
      gateway = a.gateway;
    } else if (mode.starts_with("container:")) {
      join_network_of(e, mode.substr(10), in);
    } else if (mode != "none") {
      throw NotFound("network " + mode + " not found");
    }
    join_donor_namespaces(e, in);
    prepare_shareable_shm(c, in);
    // `-v /host/dir:/dir` creates a missing host directory, as dockerd does; `--mount` only with
    // bind-create-src.
    std::error_code ec;
    for (const auto& bind : get_string_array(c.host_config, "Binds")) {
      const std::string src = bind.substr(0, bind.find(':'));
      if (!fs::exists(src, ec)) fs::create_directories(src, ec);
    }
    if (c.host_config.contains("Mounts") && c.host_config["Mounts"].is_array())
      for (const auto& m : c.host_config["Mounts"]) {
        const json options = m.value("BindOptions", json::object());
        const std::string src = get_string(m, "Source");
        if (get_string(m, "Type") == "bind" && options.is_object() &&
            get_bool(options, "CreateMountpoint") && !src.empty() && !fs::exists(src, ec))
          fs::create_directories(src, ec);
      }
    const std::string hostname = c.config.value("Hostname", c.short_id());
    ContainerFilesInput files_in;
    files_in.hostname = hostname;
    files_in.domainname = c.config.value("Domainname", "");
    files_in.ip = ip;
    files_in.gateway = gateway;
    files_in.host_network = mode == "host";
    files_in.dns = get_string_array(c.host_config, "Dns");
    if (files_in.dns.empty()) files_in.dns = paths_.dns;
    files_in.dns_search = get_string_array(c.host_config, "DnsSearch");
    files_in.dns_options = get_string_array(c.host_config, "DnsOptions");
    files_in.extra_hosts = get_string_array(c.host_config, "ExtraHosts");
    // Links reach the linked containers over the default bridge; elsewhere dockerd ignores them.
    if (mode == "bridge") apply_links(c, in, files_in);
    // A container on another's network uses that one's files, as dockerd does.
    const ContainerFiles files = mode.starts_with("container:")
                                     ? container_files_in(container_dir(network_donor_id(c)))
                                     : write_container_files(container_dir(c.id), files_in);
    in.config = c.config;
    in.host_config = host_config_with_volumes_from(e);
    in.rootfs = rootfs_dir(c.id);
    in.hostname = hostname;
    in.hostname_file = files.hostname_path;
    in.hosts_file = files.hosts_path;
    in.resolv_conf_file = files.resolv_conf_path;
    in.cgroups_path = cgroups_path_of(c);
    in.init_path = paths_.init_path;
    in.passwd_path = rootfs_dir(c.id) + "/etc/passwd";
    in.group_path = rootfs_dir(c.id) + "/etc/group";
    in.seccomp_default = paths_.seccomp_profile;
    const json spec = make_oci_spec(in);
    check_bind_propagation(spec["mounts"]);
    write_file_replace(bundle_dir(c.id) + "/config.json", spec.dump(), 0600);

    ShimLaunch launch;
    launch.shim_path = paths_.shim_path;
    launch.id = c.id;
    launch.state_dir = bundle_dir(c.id) + "/shim";
    launch.runtime_path = runtime_.info().path;
    launch.runtime_root = runtime_.state_root();
    launch.bundle = bundle_dir(c.id);
    launch.tty = c.tty();
    launch.open_stdin = c.config.value("OpenStdin", false);
    launch.stdin_once = c.config.value("StdinOnce", false);
    launch.log_path = c.keeps_no_log() ? "" : log_path(c.id);
    if (!launch.log_path.empty()) {
      const JsonFileLogOptions log = json_file_log_options(c, launch.log_path);
      launch.log_max_size = log.max_size;
      launch.log_max_files = log.max_files;
      // berthd gzips the rotated files, in a process of its own the shim starts.
      if (log.compress) launch.log_compressor = fs::read_symlink("/proc/self/exe").string();
      launch.log_attrs = log.attrs;
    }
    fs::remove_all(launch.state_dir);
    prepare_ms = lap();
    try {
      e.shim = ShimClient::launch(launch);
    } catch (const std::exception& refused) {
      throw_runtime_start_failure(refused.what(), c.path);
    }
    launch_ms = lap();
  } catch (const std::exception& ex) {
    release_resources(e);
    e.shim.reset();
    // Clients attached for this start get no stream: their sessions end now, as with dockerd,
    // instead of waiting for a start that may never come.
    fail_pending_attaches(e, ex.what());
    throw;
  }
  publish_network(c, "connect");
  if (network_mode_of(c.host_config) == "bridge") update_linking_hosts(c);
  // Clients that attached before start get the stream from the very first byte.
  for (auto& pending : e.pending) connect_pending_attach(e, *pending);
  e.pending.clear();
  e.shim->start();
  const std::string start_ms = lap();
  c.state.status = "running";
  c.state.pid = e.shim->pid();
  c.state.exit_code = 0;
  c.state.error = "";
  c.state.oom_killed = false;
  c.state.started_at = now_rfc3339();
  // FinishedAt keeps the last exit's time while it runs again, as dockerd's does.
  c.has_been_started = true;
  start_health_check(e);
  // Without a restart policy nothing depends on this record surviving a power loss: after one,
  // nothing runs whatever the record says, and only a restart policy (which needs "has been
  // started") would act on it. So the start does not wait for the disk (0.5-1 ms of every
  // `docker run` on a quiet disk, far more on a busy one); the rename still keeps the record whole
  // if berthd dies. The cost: a power loss within seconds of a `run --rm` can leave that container
  // listed as created, as one between its create and start always could.
  const bool restarts =
      c.host_config.value("RestartPolicy", json::object()).value("Name", "no") != "no";
  save(c, restarts ? Durability::synced : Durability::renamed);
  publish(c, "start");
  log::debug("container started", {{"id", c.id},
                                   {"rootfs_ms", rootfs_ms},
                                   {"prepare_ms", prepare_ms},
                                   {"launch_ms", launch_ms},
                                   {"start_ms", start_ms},
                                   {"save_ms", lap()}});
  e.changed.notify_all();
  (void)lock;
}

}  // namespace berth::engine
