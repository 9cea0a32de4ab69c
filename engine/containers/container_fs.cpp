#include "engine/containers/container_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/open_in_root.hpp"
#include "common/time_format.hpp"
#include "common/unique_fd.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/oci_mounts.hpp"
#include "engine/images/rootfs.hpp"
#include "engine/images/tree_tar.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace berth::engine {

namespace {

UniqueFd open_root(const std::string& root) {
  UniqueFd fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open container root " + root);
  return fd;
}

using berth::open_in_root;  // the fd form; this file adds one that opens the root first

UniqueFd open_in_root(const std::string& root, const std::string& path, int flags) {
  return open_in_root(open_root(root).get(), path, flags);
}

// `path` under `dir_fd` without following any symlink and without leaving it (a layer lookup).
UniqueFd open_beneath(int dir_fd, const std::string& path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
  const std::string relative = path.empty() ? "." : path;
  const long fd = ::syscall(SYS_openat2, dir_fd, relative.c_str(), &how, sizeof how);
  return UniqueFd(static_cast<int>(fd));
}

std::string fd_path(const UniqueFd& fd) {
  return "/proc/self/fd/" + std::to_string(fd.get());
}

uint32_t go_file_mode(mode_t mode) {
  uint32_t m = mode & 0777;
  if (S_ISDIR(mode)) m |= 1u << 31;
  if (S_ISLNK(mode)) m |= 1u << 27;
  if (S_ISFIFO(mode)) m |= 1u << 25;
  if (S_ISSOCK(mode)) m |= 1u << 24;
  if (S_ISBLK(mode)) m |= 1u << 26;
  if (S_ISCHR(mode)) m |= (1u << 26) | (1u << 21);
  if (mode & S_ISUID) m |= 1u << 23;
  if (mode & S_ISGID) m |= 1u << 22;
  if (mode & S_ISVTX) m |= 1u << 20;
  return m;
}

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const auto slash = p.rfind('/');
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  return name.empty() || name == "." ? "/" : name;
}

std::string dir_name(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// ---- owner names ----
// docker builds its archives chrooted in the container, so a tar entry's uname/gname are what the
// container's own /etc/passwd and /etc/group say (first line for an id wins).
std::map<uint32_t, std::string> names_by_id(const std::string& rootfs, const std::string& file) {
  std::map<uint32_t, std::string> names;
  UniqueFd fd = open_in_root(rootfs, file, O_RDONLY);
  if (!fd) return names;
  std::string content;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0 && content.size() < (8u << 20);)
    content.append(buf, static_cast<size_t>(n));
  std::istringstream lines(content);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string f; std::getline(in, f, ':');) fields.push_back(f);
    if (fields.size() < 3 || fields[0].empty() || fields[0][0] == '#') continue;
    char* end = nullptr;
    const unsigned long id = std::strtoul(fields[2].c_str(), &end, 10);
    if (fields[2].empty() || *end != '\0') continue;
    names.emplace(static_cast<uint32_t>(id), fields[0]);
  }
  return names;
}

TreeTarOptions owner_names(const std::string& rootfs) {
  TreeTarOptions options;
  for (auto& [id, name] : names_by_id(rootfs, "/etc/passwd")) options.user_names[id] = name;
  for (auto& [id, name] : names_by_id(rootfs, "/etc/group")) options.group_names[id] = name;
  return options;
}

// Where a path the user names lives, seen from this host: inside one of the container's bind mounts
// (the deepest whose destination holds the path) or else in its root filesystem. The container's
// own mounts exist only in its mount namespace, so `docker cp` of /data under `-v /srv:/data` must
// read /srv, and /etc/hostname the engine's file once the container has been started. (Symlinks
// are then resolved within that root: a link out of a bind mount does not reach the rest of the
// container.)
struct PathLocation {
  std::string root;
  std::string path;         // relative to root
  std::string destination;  // where root is in the container ("" for its root filesystem)
  bool read_only = false;
};

// The engine's own files, bound once they exist (from the first start on), as dockerd does.
std::vector<json> engine_file_binds(const std::string& container_dir, bool read_only_rootfs) {
  std::vector<json> binds;
  for (const char* name : {"resolv.conf", "hostname", "hosts"}) {
    const std::string source = container_dir + "/" + name;
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) continue;
    binds.push_back({{"destination", std::string("/etc/") + name},
                     {"source", source},
                     {"options", read_only_rootfs ? json::array({"ro"}) : json::array()}});
  }
  return binds;
}

// Every bind the container's processes see: the engine's files first, so that a user's bind over
// the same path wins, as in the OCI spec.
std::vector<json> container_binds(const Container& c, const std::string& container_dir) {
  std::vector<json> binds =
      engine_file_binds(container_dir, c.host_config.value("ReadonlyRootfs", false));
  for (const auto& bind : get_string_array(c.host_config, "Binds"))
    binds.push_back(parse_bind(bind));
  if (c.host_config.contains("Mounts") && c.host_config["Mounts"].is_array())
    for (const auto& m : c.host_config["Mounts"])
      if (m.value("Type", "") == "bind") binds.push_back(parse_mount(m));
  return binds;
}

std::string in_container(const std::string& path) {
  return (fs::path("/") / path).lexically_normal().string();
}

PathLocation locate(const Container& c, const std::string& container_dir, const std::string& rootfs,
                    const std::string& path) {
  const std::string wanted = in_container(path);
  PathLocation best{rootfs, path, "", false};
  size_t best_depth = 0;
  for (const json& m : container_binds(c, container_dir)) {
    const std::string dest = fs::path(m["destination"].get<std::string>()).lexically_normal();
    const bool inside = wanted == dest || wanted.starts_with(dest == "/" ? dest : dest + "/");
    if (!inside || dest.size() < best_depth) continue;
    best_depth = dest.size();
    const auto& options = m["options"];
    std::string source = m["source"].get<std::string>();
    std::string rest = wanted.substr(dest.size());
    struct stat st {};
    if (::stat(source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      // A file bound on its own: its directory is the root, and nothing beside it is reachable.
      rest = fs::path(source).filename().string() + rest;
      source = fs::path(source).parent_path().string();
    }
    best = {source, rest, dest == "/" ? "" : dest,
            std::find(options.begin(), options.end(), "ro") != options.end()};
  }
  return best;
}

// The bind mount points below the container directory `path` (an extraction target), relative to
// it: where dockerd's untar meets a mount point.
std::set<std::string> mount_points_below(const Container& c, const std::string& container_dir,
                                         const std::string& path) {
  const std::string wanted = in_container(path);
  const std::string prefix = wanted == "/" ? wanted : wanted + "/";
  std::set<std::string> points;
  for (const json& m : container_binds(c, container_dir)) {
    const std::string dest = in_container(m["destination"].get<std::string>());
    if (dest.size() > prefix.size() && dest.starts_with(prefix))
      points.insert(dest.substr(prefix.size()));
  }
  return points;
}

// The container's directories mounted below the directory `path` (an extraction target), by their
// path relative to it: an upload's files below one land in the mounted directory, as in the
// container. (Files bound on their own, such as /etc/hosts, are only mount points.)
std::map<std::string, ExtractOptions::Mount> directory_mounts_below(
    const Container& c, const std::string& container_dir, const std::string& path) {
  const std::string wanted = in_container(path);
  const std::string prefix = wanted == "/" ? wanted : wanted + "/";
  std::map<std::string, ExtractOptions::Mount> mounts;
  for (const json& m : container_binds(c, container_dir)) {
    const std::string dest = in_container(m["destination"].get<std::string>());
    if (dest.size() <= prefix.size() || !dest.starts_with(prefix)) continue;
    const std::string source = m["source"].get<std::string>();
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    const auto& options = m["options"];
    mounts[dest.substr(prefix.size())] = {
        source, std::find(options.begin(), options.end(), "ro") != options.end()};
  }
  return mounts;
}

// The entry a docker cp path names: `name` in the directory `dir`. docker resolves the path's
// directory (symlinks included, inside the root) but not its last element, so a symlink is copied
// as itself; a trailing "/" or "/." asks for the directory a symlink leads to.
struct CopyTarget {
  UniqueFd dir;
  std::string name;
  struct stat st {};
};

bool follows_final_link(const std::string& path) {
  const std::string base = base_name(path);
  return path.empty() || path.back() == '/' || path.ends_with("/.") || base == "/" || base == "..";
}

CopyTarget resolve_target(const PathLocation& where, const std::string& user_path,
                          const std::string& ref) {
  const auto not_found = [&] {
    return NotFound("Could not find the file " + user_path + " in container " + ref);
  };
  CopyTarget t;
  const UniqueFd root = open_root(where.root);
  if (follows_final_link(user_path)) {
    t.dir = open_in_root(root.get(), where.path, O_PATH | O_DIRECTORY);
    t.name = ".";
  } else {
    const std::string relative = where.path.empty() ? "." : where.path;
    t.dir = open_in_root(root.get(), dir_name(relative), O_PATH | O_DIRECTORY);
    t.name = base_name(relative);
  }
  if (!t.dir) throw not_found();
  if (::fstatat(t.dir.get(), t.name.c_str(), &t.st, AT_SYMLINK_NOFOLLOW) != 0) throw not_found();
  return t;
}

// A symlink's target as docker reports it: fully resolved inside the container, absolute.
std::string resolved_link_target(const PathLocation& where, const CopyTarget& t) {
  const UniqueFd root = open_root(where.root);
  const std::string root_real = fs::read_symlink(fd_path(root)).string();
  if (UniqueFd fd = open_in_root(root.get(), where.path, O_PATH)) {
    const std::string real = fs::read_symlink(fd_path(fd)).string();
    if (real == root_real) return where.destination.empty() ? "/" : where.destination;
    if (real.starts_with(root_real + "/"))
      return where.destination + real.substr(root_real == "/" ? 0 : root_real.size());
  }
  // Dangling: resolved as far as words go, and never above the root.
  char buf[4096];
  const ssize_t n = ::readlinkat(t.dir.get(), t.name.c_str(), buf, sizeof buf);
  const std::string target = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  const std::string in_root = (fs::path("/") / where.path).lexically_normal().string();
  const fs::path joined =
      target.starts_with("/") ? fs::path(target) : fs::path(dir_name(in_root)) / target;
  std::string clean = (fs::path("/") / joined.lexically_normal()).lexically_normal().string();
  while (clean.starts_with("/..")) clean = clean.size() == 3 ? "/" : clean.substr(3);
  return where.destination + (where.destination.empty() || clean != "/" ? clean : "");
}

json stat_json(const PathLocation& where, const CopyTarget& t, const std::string& user_path) {
  const auto mtime = std::chrono::system_clock::time_point(
      std::chrono::seconds(t.st.st_mtim.tv_sec) + std::chrono::nanoseconds(t.st.st_mtim.tv_nsec));
  return {{"name", base_name(user_path)},
          {"size", t.st.st_size},
          {"mode", go_file_mode(t.st.st_mode)},
          {"mtime",
           rfc3339_nano(std::chrono::time_point_cast<std::chrono::system_clock::duration>(mtime))},
          {"linkTarget", S_ISLNK(t.st.st_mode) ? resolved_link_target(where, t) : ""}};
}

}  // namespace

json ContainerFilesystem::stat(const std::string& ref, const std::string& path) {
  json result;
  containers_.with_rootfs(ref, [&](const Container& c, const std::string& rootfs) {
    const PathLocation where = locate(c, containers_.container_dir(c.id), rootfs, path);
    result = stat_json(where, resolve_target(where, path, ref), path);
  });
  return result;
}

void ContainerFilesystem::get_archive(const std::string& ref, const std::string& path,
                                      const std::function<void(const json&)>& on_stat,
                                      const WriteFn& write) {
  containers_.with_rootfs(ref, [&](const Container& c, const std::string& rootfs) {
    const PathLocation where = locate(c, containers_.container_dir(c.id), rootfs, path);
    const CopyTarget target = resolve_target(where, path, ref);
    const json st = stat_json(where, target, path);
    on_stat(st);
    TarWriter writer(write);
    TreeTarOptions options = owner_names(rootfs);
    options.prefix = st["name"].get<std::string>() == "/" ? "." : st["name"].get<std::string>();
    write_tree_at(writer, target.dir.get(), target.name, options);
    writer.finish();
  });
}

void ContainerFilesystem::put_archive(const std::string& ref, const std::string& path,
                                      bool no_overwrite_dir_non_dir, const ReadFn& read) {
  containers_.with_rootfs(ref, [&](const Container& c, const std::string& rootfs) {
    const PathLocation where = locate(c, containers_.container_dir(c.id), rootfs, path);
    if (where.root == rootfs && c.host_config.value("ReadonlyRootfs", false))
      throw InvalidArgument("container rootfs is marked read-only");
    if (where.read_only) throw InvalidArgument("mounted volume is marked read-only");
    UniqueFd fd = open_in_root(where.root, where.path, O_PATH | O_DIRECTORY);
    if (!fd) {
      if (open_in_root(where.root, where.path, O_PATH))
        throw InvalidArgument("extraction point is not a directory: " + path);
      throw NotFound("Could not find the file " + path + " in container " + ref);
    }
    const std::string dir = containers_.container_dir(c.id);
    extract_tar_into(read, fd_path(fd), no_overwrite_dir_non_dir, mount_points_below(c, dir, path),
                     in_container(path), directory_mounts_below(c, dir, path));
  });
}

void ContainerFilesystem::export_rootfs(const std::string& ref, const WriteFn& write) {
  containers_.with_rootfs(ref, [&](const Container&, const std::string& rootfs) {
    TarWriter writer(write);
    const UniqueFd root = open_root(rootfs);
    write_tree_at(writer, root.get(), ".", owner_names(rootfs));
    writer.finish();
  });
}

namespace {

// ---- docker diff ----
// dockerd's overlay changes: every entry of the container's upper dir, in walk order; "D" for a
// whiteout (and an opaque directory), "C" when the path exists below (docker's init layer, then the
// image), else "A"; a directory that exists below with the same size, mode and mtime is no change,
// and the parent of an "A" or "D" is always a change. The walk goes by directory fds and never
// follows a symlink: a symlink is an entry like any file.
class ChangesWalker {
 public:
  ChangesWalker(const fs::path& upper, const std::vector<fs::path>& lowers_top_first) {
    upper_ = UniqueFd(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    for (const auto& lower : lowers_top_first) {
      UniqueFd fd(::open(lower.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (fd) lowers_.push_back(std::move(fd));
    }
  }

  json run() {
    if (upper_) walk(upper_.get(), "");
    return out_;
  }

 private:
  enum Kind { kModify = 0, kAdd = 1, kDelete = 2 };

  void walk(int dir_fd, const std::string& dir_path) {
    for (const auto& name : list_names(dir_fd)) {
      const std::string path = dir_path + "/" + name;
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      UniqueFd child;
      if (S_ISDIR(st.st_mode))
        child = UniqueFd(
            ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      visit(path, st, child);
      if (child) walk(child.get(), path);
    }
  }

  void visit(const std::string& path, const struct stat& st, const UniqueFd& dir) {
    Kind kind = kAdd;
    if (is_deleted(st, dir)) {
      kind = kDelete;
    } else if (const auto below = lower_stat(path)) {
      if (S_ISDIR(st.st_mode) && S_ISDIR(below->st_mode) && same_dir(st, *below)) return;
      kind = kModify;
    }
    if (S_ISDIR(st.st_mode)) changed_dirs_.insert(path);
    if (kind != kModify) {
      const std::string parent = dir_name(path);
      if (parent != "/" && changed_dirs_.insert(parent).second)
        out_.push_back({{"Path", parent}, {"Kind", kModify}});
    }
    out_.push_back({{"Path", path}, {"Kind", kind}});
  }

  static std::vector<std::string> list_names(int dir_fd) {
    std::vector<std::string> names;
    const int dup_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return names;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dup_fd), ::closedir);
    if (!dir) {
      ::close(dup_fd);
      return names;
    }
    while (dirent* d = ::readdir(dir.get())) {
      const std::string n = d->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static bool is_deleted(const struct stat& st, const UniqueFd& dir) {
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return true;
    if (!dir) return false;
    char value[2] = {};
    return ::fgetxattr(dir.get(), "trusted.overlay.opaque", value, sizeof value) == 1 &&
           value[0] == 'y';
  }

  // The path in the topmost image layer that has it, looked up without following symlinks.
  std::optional<struct stat> lower_stat(const std::string& path) const {
    for (const auto& layer : lowers_) {
      UniqueFd fd = open_beneath(layer.get(), path.substr(1), O_PATH | O_NOFOLLOW);
      struct stat st {};
      if (fd && ::fstat(fd.get(), &st) == 0) return st;
    }
    return std::nullopt;
  }

  // Go's os.FileInfo equality as docker checks it: size, mode and modification time.
  static bool same_dir(const struct stat& a, const struct stat& b) {
    const bool same_time =
        a.st_mtim.tv_sec == b.st_mtim.tv_sec && (a.st_mtim.tv_nsec == b.st_mtim.tv_nsec ||
                                                 a.st_mtim.tv_nsec == 0 || b.st_mtim.tv_nsec == 0);
    return a.st_size == b.st_size && a.st_mode == b.st_mode && same_time;
  }

  UniqueFd upper_;
  std::vector<UniqueFd> lowers_;
  std::set<std::string> changed_dirs_;
  json out_ = json::array();
};

}  // namespace

json ContainerFilesystem::changes(const std::string& ref) {
  const Container c = containers_.get(ref);
  const fs::path upper = containers_.container_dir(c.id) + "/rw/upper";
  std::vector<fs::path> lowers = images_.layer_dirs(images_.get(c.image_id));
  lowers.insert(lowers.begin(), containers_.init_layer_dir(c.id));
  return ChangesWalker(upper, lowers).run();
}

}  // namespace berth::engine
