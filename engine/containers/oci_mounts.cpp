#include "engine/containers/oci_mounts.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/split.hpp"
#include "engine/containers/oci_spec.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultShmSize = 64 * 1024 * 1024;
// Where dockerd puts the --init binary inside the container.
constexpr const char* kInitDestination = "/sbin/docker-init";

json mount(std::string destination, std::string type, std::string source,
           std::vector<std::string> options) {
  return {{"destination", std::move(destination)},
          {"type", std::move(type)},
          {"source", std::move(source)},
          {"options", std::move(options)}};
}

json default_mounts(const json& host_config) {
  const bool privileged = get_bool(host_config, "Privileged");
  int64_t shm_size = get_int64(host_config, "ShmSize");
  if (shm_size <= 0) shm_size = kDefaultShmSize;
  const std::string ipc_mode = get_string(host_config, "IpcMode");

  json mounts = json::array();
  mounts.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  // Privileged containers may write /sys and their cgroups, as under dockerd.
  std::vector<std::string> sys_opts = {"nosuid", "noexec", "nodev"};
  if (!privileged) sys_opts.push_back("ro");
  mounts.push_back(mount("/sys", "sysfs", "sysfs", sys_opts));
  std::vector<std::string> cgroup_opts = {"nosuid", "noexec", "nodev"};
  if (!privileged) cgroup_opts.insert(cgroup_opts.begin(), "ro");
  mounts.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts));
  mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (ipc_mode == "host") {
    mounts.push_back(mount("/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate"}));
  } else if (ipc_mode != "none") {
    mounts.push_back(
        mount("/dev/shm", "tmpfs", "shm",
              {"nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(shm_size)}));
  }
  return mounts;
}

void check_destination(const std::string& destination, const std::string& type) {
  if (destination.empty() || destination.front() != '/') {
    throw InvalidArgument("invalid mount config for type \"" + type + "\": invalid mount path: '" +
                          destination + "' mount path must be absolute");
  }
  if (destination.find_first_not_of('/') == std::string::npos) {
    throw InvalidArgument("invalid specification: destination can't be '/'");
  }
}

// "src:dst[:opts]" with opts from ro, rw, z, Z, nocopy and a propagation mode.

// Docker's tmpfs defaults, with exec/suid/dev in the user's options lifting the matching "no…".
json make_tmpfs(const std::string& destination, const std::string& user_options) {
  check_destination(destination, "tmpfs");
  check_tmpfs_options(user_options);
  std::vector<std::string> user;
  if (!user_options.empty()) user = split(user_options, ',');
  std::vector<std::string> options;
  for (std::string def : {"noexec", "nosuid", "nodev"}) {
    if (std::find(user.begin(), user.end(), def.substr(2)) == user.end()) options.push_back(def);
  }
  options.push_back("rprivate");
  for (auto& opt : user) {
    if (!opt.empty()) options.push_back(opt);
  }
  return mount(destination, "tmpfs", "tmpfs", options);
}

size_t depth(const std::string& path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '/')) -
         (path.size() > 1 && path.back() == '/' ? 1 : 0);
}

std::string clean(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

void check_tmpfs_options(const std::string& options) {
  static const std::set<std::string> flags = {
      "defaults",   "ro",          "rw",         "suid",        "nosuid",       "dev",     "nodev",
      "exec",       "noexec",      "sync",       "async",       "dirsync",      "remount", "mand",
      "nomand",     "atime",       "noatime",    "diratime",    "nodiratime",   "bind",    "rbind",
      "unbindable", "runbindable", "private",    "rprivate",    "shared",       "rshared", "slave",
      "rslave",     "relatime",    "norelatime", "strictatime", "nostrictatime"};
  static const std::set<std::string> data_keys = {"size",      "mode",      "uid", "gid",
                                                  "nr_inodes", "nr_blocks", "mpol"};
  if (options.empty()) return;
  for (const auto& option : split(options, ',')) {
    if (option.empty() || flags.contains(option)) continue;
    const auto eq = option.find('=');
    if (data_keys.contains(option.substr(0, eq))) continue;
    // Go's %q of the option split at '=': ["bogus"] or ["key" "value"].
    std::string quoted = "[\"" + option.substr(0, eq) + "\"";
    if (eq != std::string::npos) quoted += " \"" + option.substr(eq + 1) + "\"";
    throw InvalidArgument("invalid tmpfs option " + quoted + "]");
  }
}

json parse_bind(const std::string& bind) {
  const auto parts = split(bind, ':');
  if (parts.size() == 1 || (parts.size() >= 2 && !parts[0].empty() && parts[0].front() != '/')) {
    throw InvalidArgument("named volumes are not supported yet: " + bind);
  }
  if (parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    throw InvalidArgument("invalid volume specification: '" + bind + "'");
  }
  const std::string& source = parts[0];
  const std::string& destination = parts[1];
  check_destination(destination, "bind");
  bool read_only = false;
  std::string propagation = "rprivate";
  if (parts.size() == 3) {
    // dockerd's validMountMode: at most one of each kind. The consistency modes come from Docker
    // for Mac and mean nothing on Linux, where dockerd accepts and ignores them too.
    static const std::set<std::string> kPropagation = {"shared", "rshared", "slave",
                                                       "rslave", "private", "rprivate"};
    static const std::set<std::string> kConsistency = {"consistent", "cached", "delegated"};
    int rw = 0, label = 0, propagations = 0, copy = 0, consistency = 0;
    for (const auto& opt : split(parts[2], ',')) {
      if (opt == "ro" || opt == "rw") {
        read_only = opt == "ro";
        ++rw;
      } else if (opt == "z" || opt == "Z") {
        ++label;
      } else if (kPropagation.contains(opt)) {
        propagation = opt;
        ++propagations;
      } else if (opt == "nocopy") {
        ++copy;
      } else if (kConsistency.contains(opt)) {
        ++consistency;
      } else {
        throw InvalidArgument("invalid mode: " + parts[2]);
      }
    }
    if (rw > 1 || label > 1 || propagations > 1 || copy > 1 || consistency > 1)
      throw InvalidArgument("invalid mode: " + parts[2]);
    if (copy > 0)
      throw InvalidArgument("invalid volume specification: '" + bind +
                            "': invalid mount config for type \"bind\": field VolumeOptions "
                            "must not be specified");
  }
  std::vector<std::string> options = {"rbind"};
  if (read_only) options.push_back("ro");
  options.push_back(propagation);
  return mount(destination, "bind", source, options);
}

json parse_mount(const json& m) {
  const std::string type = get_string(m, "Type");
  const std::string target = get_string(m, "Target");
  if (target.empty() || target.front() != '/')
    throw InvalidArgument("invalid mount config for type \"" + type +
                          "\": field Target must be an absolute path");
  if (type == "bind") {
    const std::string source = get_string(m, "Source");
    if (source.empty() || source.front() != '/')
      throw InvalidArgument(
          "invalid mount config for type \"bind\": field Source must be an "
          "absolute path");
    const json bind_options = m.contains("BindOptions") && m["BindOptions"].is_object()
                                  ? m["BindOptions"]
                                  : json::object();
    std::error_code ec;
    // Unlike -v, --mount creates the source only when asked (bind-create-src), as dockerd.
    if (!get_bool(bind_options, "CreateMountpoint") && !std::filesystem::exists(source, ec))
      throw InvalidArgument(
          "invalid mount config for type \"bind\": bind source path does not "
          "exist: " +
          source);
    check_destination(target, "bind");
    // bind-nonrecursive: the mounts below the source stay out of the container.
    std::vector<std::string> options = {get_bool(bind_options, "NonRecursive") ? "bind" : "rbind"};
    if (get_bool(m, "ReadOnly")) {
      // bind-recursive=readonly: the mounts below the source are read-only too (runc's "rro",
      // mount_setattr). Otherwise only the bind itself is, as dockerd 20.10 makes it.
      options.push_back(get_bool(bind_options, "ReadOnlyForceRecursive") ? "rro" : "ro");
    }
    std::string propagation = get_string(bind_options, "Propagation");
    if (propagation.empty()) propagation = "rprivate";
    options.push_back(propagation);
    return mount(target, "bind", source, options);
  }
  if (type == "tmpfs") {
    if (!get_string(m, "Source").empty())
      throw InvalidArgument(
          "invalid mount config for type \"tmpfs\": field Source must not be specified");
    std::string options;
    if (m.contains("TmpfsOptions") && m["TmpfsOptions"].is_object()) {
      const json& t = m["TmpfsOptions"];
      if (const int64_t size = get_int64(t, "SizeBytes"); size > 0)
        options = "size=" + std::to_string(size);
      if (const int64_t mode = get_int64(t, "Mode"); mode > 0) {
        char octal[32];
        std::snprintf(octal, sizeof octal, "mode=%llo",
                      static_cast<unsigned long long>(mode & 07777));
        options += (options.empty() ? "" : ",") + std::string(octal);
      }
    }
    if (get_bool(m, "ReadOnly")) options += options.empty() ? "ro" : ",ro";
    return make_tmpfs(target, options);
  }
  throw InvalidArgument("mount type " + type + " is not supported yet (bind and tmpfs are)");
}

namespace {

// The user's -v, --mount and --tmpfs mounts, each destination once.
struct UserMounts {
  std::vector<json> mounts;
  std::set<std::string> destinations;

  void add(json m) {
    std::string destination = clean(m["destination"].get<std::string>());
    if (!destinations.insert(destination).second) {
      throw InvalidArgument("Duplicate mount point: " + destination);
    }
    m["destination"] = destination;
    mounts.push_back(std::move(m));
  }
};

UserMounts user_mounts(const json& hc) {
  UserMounts user;
  for (const auto& bind : get_string_array(hc, "Binds")) user.add(parse_bind(bind));
  if (hc.contains("Mounts") && hc["Mounts"].is_array())
    for (const auto& m : hc["Mounts"]) user.add(parse_mount(m));
  for (const auto& [destination, options] : get_string_map(hc, "Tmpfs")) {
    user.add(make_tmpfs(destination, options));
  }
  return user;
}

}  // namespace

void check_user_mounts(const json& host_config) {
  user_mounts(host_config);
}

json make_mounts(const OciSpecInput& input) {
  const json& hc = input.host_config;
  UserMounts user_set = user_mounts(hc);
  std::vector<json>& user = user_set.mounts;
  std::set<std::string>& destinations = user_set.destinations;
  const auto add_user = [&user_set](json m) { user_set.add(std::move(m)); };
  if (get_bool(hc, "Init") && !input.init_path.empty()) {
    add_user(mount(kInitDestination, "bind", input.init_path, {"bind", "ro"}));
  }
  // The engine-managed files come last and yield to a user's own bind over the same path.
  for (const auto& [destination, source] :
       {std::pair<std::string, std::string>{"/etc/resolv.conf", input.resolv_conf_file},
        {"/etc/hostname", input.hostname_file},
        {"/etc/hosts", input.hosts_file}}) {
    if (source.empty() || destinations.contains(destination)) continue;
    // --read-only covers them too, as with dockerd.
    std::vector<std::string> options = {"rbind", "rprivate"};
    if (get_bool(hc, "ReadonlyRootfs")) options.push_back("ro");
    add_user(mount(destination, "bind", source, options));
  }
  // Parents before children, so a mount over /a/b is not hidden by a later mount over /a.
  std::stable_sort(user.begin(), user.end(), [](const json& a, const json& b) {
    return depth(a["destination"].get<std::string>()) < depth(b["destination"].get<std::string>());
  });

  json mounts = json::array();
  const bool user_dev = destinations.contains("/dev");
  for (auto& m : default_mounts(hc)) {
    const std::string destination = m["destination"];
    if (destinations.contains(destination)) continue;
    if (user_dev && destination.starts_with("/dev/")) continue;
    mounts.push_back(std::move(m));
  }
  for (auto& m : user) mounts.push_back(std::move(m));
  return mounts;
}

}  // namespace berth::engine
