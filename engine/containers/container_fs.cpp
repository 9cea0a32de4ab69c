#include "engine/containers/container_fs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.hpp"
#include "common/json.hpp"
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

// Opens `path` as seen from inside `rootfs`: "..", absolute symlinks and the like stay inside.
UniqueFd open_in_root(const std::string& rootfs, const std::string& path, int flags) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("open container root " + rootfs);
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  const std::string relative = path.empty() ? "." : path;
  const long fd = ::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof how);
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

json stat_json(const std::string& rootfs, const std::string& path, const std::string& ref) {
  UniqueFd fd = open_in_root(rootfs, path, O_PATH | O_NOFOLLOW);
  if (!fd) throw NotFound("Could not find the file " + path + " in container " + ref);
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) throw_errno("stat " + path);
  std::string link;
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    const ssize_t n = ::readlinkat(fd.get(), "", buf, sizeof buf);
    if (n > 0) link.assign(buf, static_cast<size_t>(n));
  }
  const auto mtime = std::chrono::system_clock::time_point(
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec));
  return {{"name", base_name(path)},
          {"size", st.st_size},
          {"mode", go_file_mode(st.st_mode)},
          {"mtime",
           rfc3339_nano(std::chrono::time_point_cast<std::chrono::system_clock::duration>(mtime))},
          {"linkTarget", link}};
}

// Where a path the user names lives, seen from this host: inside one of the container's bind mounts
// (the deepest whose destination holds the path) or else in its root filesystem. The container's
// own mounts exist only in its mount namespace, so `docker cp` of /data under `-v /srv:/data` must
// read /srv. (Symlinks are then resolved within that root: a link out of a bind mount does not
// reach the rest of the container.)
struct PathLocation {
  std::string root;
  std::string path;  // relative to root
  bool read_only = false;
};

PathLocation locate(const Container& c, const std::string& rootfs, const std::string& path) {
  const std::string wanted = (fs::path("/") / path).lexically_normal().string();
  PathLocation best{rootfs, path, false};
  size_t best_depth = 0;
  std::vector<json> binds;
  for (const auto& bind : get_string_array(c.host_config, "Binds"))
    binds.push_back(parse_bind(bind));
  if (c.host_config.contains("Mounts") && c.host_config["Mounts"].is_array())
    for (const auto& m : c.host_config["Mounts"])
      if (m.value("Type", "") == "bind") binds.push_back(parse_mount(m));
  for (const json& m : binds) {
    const std::string dest = fs::path(m["destination"].get<std::string>()).lexically_normal();
    const bool inside = wanted == dest || wanted.starts_with(dest == "/" ? dest : dest + "/");
    if (!inside || dest.size() < best_depth) continue;
    best_depth = dest.size();
    const auto& options = m["options"];
    best = {m["source"].get<std::string>(), wanted.substr(dest.size()),
            std::find(options.begin(), options.end(), "ro") != options.end()};
  }
  return best;
}

}  // namespace

json ContainerFilesystem::stat(const std::string& ref, const std::string& path) {
  json result;
  containers_.with_rootfs(ref, [&](const Container& c, const std::string& rootfs) {
    const PathLocation where = locate(c, rootfs, path);
    result = stat_json(where.root, where.path, ref);
    result["name"] = base_name(path);
  });
  return result;
}

void ContainerFilesystem::get_archive(const std::string& ref, const std::string& path,
                                      const std::function<void(const json&)>& on_stat,
                                      const WriteFn& write) {
  containers_.with_rootfs(ref, [&](const Container& c, const std::string& rootfs) {
    const PathLocation where = locate(c, rootfs, path);
    json st = stat_json(where.root, where.path, ref);
    st["name"] = base_name(path);
    // Follow a final symlink the way docker cp does for the source's contents.
    UniqueFd fd = open_in_root(where.root, where.path, O_PATH);
    if (!fd) throw NotFound("Could not find the file " + path + " in container " + ref);
    on_stat(st);
    TarWriter writer(write);
    TreeTarOptions options;
    options.prefix = st["name"].get<std::string>() == "/" ? "." : st["name"].get<std::string>();
    // The tree walker lstat()s its root, and /proc/self/fd/N is itself a link: hand it the path
    // the kernel resolved inside the container's root instead.
    write_tree(writer, fs::read_symlink(fd_path(fd)), options);
    writer.finish();
  });
}

void ContainerFilesystem::put_archive(const std::string& ref, const std::string& path,
                                      bool no_overwrite_dir_non_dir, const ReadFn& read) {
  containers_.with_rootfs(ref, [&](const Container& c, const std::string& rootfs) {
    const PathLocation where = locate(c, rootfs, path);
    if (where.root == rootfs && c.host_config.value("ReadonlyRootfs", false))
      throw InvalidArgument("container rootfs is marked read-only");
    if (where.read_only) throw InvalidArgument("mounted volume is marked read-only");
    UniqueFd fd = open_in_root(where.root, where.path, O_PATH | O_DIRECTORY);
    if (!fd) {
      if (open_in_root(where.root, where.path, O_PATH))
        throw InvalidArgument("extraction point is not a directory: " + path);
      throw NotFound("Could not find the file " + path + " in container " + ref);
    }
    extract_tar_into(read, fd_path(fd), no_overwrite_dir_non_dir);
  });
}

void ContainerFilesystem::export_rootfs(const std::string& ref, const WriteFn& write) {
  containers_.with_rootfs(ref, [&](const Container&, const std::string& rootfs) {
    TarWriter writer(write);
    write_tree(writer, rootfs, {});
    writer.finish();
  });
}

json ContainerFilesystem::changes(const std::string& ref) {
  const Container c = containers_.get(ref);
  const fs::path upper = containers_.container_dir(c.id) + "/rw/upper";
  const auto lowers = images_.layer_dirs(images_.get(c.image_id));
  json out = json::array();
  std::error_code ec;
  if (!fs::exists(upper, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(upper, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path rel = fs::relative(it->path(), upper, ec);
    const std::string name = "/" + rel.string();
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) < 0) continue;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
      out.push_back({{"Path", name}, {"Kind", 2}});
      continue;
    }
    const bool in_lower = std::any_of(lowers.begin(), lowers.end(), [&](const fs::path& l) {
      std::error_code e2;
      return fs::symlink_status(l / rel, e2).type() != fs::file_type::not_found;
    });
    out.push_back({{"Path", name}, {"Kind", in_lower ? 0 : 1}});
  }
  return out;
}

}  // namespace berth::engine
