#include "engine/images/layer_unpack.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/open_in_root.hpp"
#include "common/unique_fd.hpp"

namespace berth::engine {
namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

class Extractor {
 public:
  Extractor(TarReader& reader, const std::filesystem::path& dir, const ExtractOptions& options)
      : reader_(reader), options_(options), is_root_(::geteuid() == 0) {
    root_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) throw_errno("open " + dir.string());
    for (const auto& [point, mount] : options_.mounts) {
      UniqueFd fd(::open(mount.source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd) throw_errno("open " + mount.source);
      mount_roots_.emplace(point, std::move(fd));
    }
  }

  int64_t run() {
    while (archive_entry* entry = reader_.next()) extract(entry);
    // Directory times last: creating entries inside a directory changes its mtime.
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      UniqueFd fd = open_dir(split(it->first), false);
      if (fd) ::futimens(fd.get(), it->second.data());
    }
    return size_;
  }

 private:
  [[noreturn]] void refuse(const std::string& name, const std::string& why) {
    throw InvalidArgument("refusing to extract \"" + name + "\" from " + reader_.what() + ": " +
                          why);
  }

  // Opens the directory at `parts` below the root. Missing directories are created when `create`
  // is set (and give an empty fd otherwise); a symlink on the way is refused unless resolving in
  // root, where it is followed but cannot leave the root.
  // Below a mount point the walk goes on in the mounted directory, which is then the root.
  UniqueFd open_dir(const std::vector<std::string>& parts, bool create) {
    int base = root_.get();
    UniqueFd current(::fcntl(base, F_DUPFD_CLOEXEC, 0));
    if (!current) throw_errno("dup");
    std::string prefix;   // below the target, for messages and mount points
    std::string in_base;  // below `base`
    for (const auto& part : parts) {
      prefix += prefix.empty() ? part : "/" + part;
      if (auto mount = mount_roots_.find(prefix); mount != mount_roots_.end()) {
        base = mount->second.get();
        current.reset(::fcntl(base, F_DUPFD_CLOEXEC, 0));
        if (!current) throw_errno("dup");
        in_base.clear();
        continue;
      }
      in_base += in_base.empty() ? part : "/" + part;
      UniqueFd next;
      if (options_.resolve_in_root) {
        next = open_in_root(base, in_base, O_RDONLY | O_DIRECTORY);
        if (!next && errno == ENOSYS) options_.resolve_in_root = false;  // pre-5.6 kernels
      }
      if (!options_.resolve_in_root)
        next.reset(
            ::openat(current.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next && errno == ENOENT) {
        if (!create) return UniqueFd();
        if (::mkdirat(current.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
          throw_errno("mkdir " + prefix);
        next.reset(
            ::openat(current.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      }
      if (!next) {
        if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
          refuse(current_name_, "\"" + prefix + "\" is a symlink or not a directory");
        throw_errno("open " + prefix);
      }
      current = std::move(next);
    }
    return current;
  }

  void extract(archive_entry* entry) {
    const char* raw_name = archive_entry_pathname(entry);
    current_name_ = raw_name ? raw_name : "";
    const std::string name = clean_member_name(current_name_, reader_.what());
    current_clean_name_ = name;
    if (name.empty()) return;  // "./": the target directory itself
    refuse_read_only_mount(name);
    auto parts = split(name);
    const std::string base = parts.back();
    parts.pop_back();
    UniqueFd parent = open_dir(parts, true);

    if (options_.overlay_whiteouts && base.starts_with(kWhiteoutPrefix)) {
      whiteout(parent.get(), base);
      return;
    }
    if (const char* link = archive_entry_hardlink(entry)) {
      hardlink(parent.get(), base, link);
      return;
    }
    const mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) {
      directory(parent.get(), base, name, entry);
      return;
    }
    clear_for_non_dir(parent.get(), base);
    switch (type) {
      case AE_IFREG:
        regular(parent.get(), base, entry);
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(entry);
        // The target is stored, never followed, so it may point anywhere.
        if (::symlinkat(target ? target : "", parent.get(), base.c_str()) != 0)
          throw_errno("symlink " + name);
        finish_node(parent.get(), base, entry, /*symlink=*/true);
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        const mode_t mode = type | (archive_entry_perm(entry) & 07777);
        if (::mknodat(parent.get(), base.c_str(), mode, archive_entry_rdev(entry)) != 0) {
          if (errno == EPERM && !is_root_) {
            log::debug("skipping a device node (not root)", {{"entry", name}});
            return;
          }
          throw_errno("mknod " + name);
        }
        finish_node(parent.get(), base, entry, false);
        break;
      }
      default:
        log::debug("skipping a tar entry of unsupported type", {{"entry", name}});
    }
  }

  void whiteout(int parent, const std::string& base) {
    if (base == kOpaqueMarker) {
      if (::fsetxattr(parent, "trusted.overlay.opaque", "y", 1, 0) != 0)
        throw_errno("marking the directory of " + current_name_ + " opaque");
      return;
    }
    if (base.starts_with(kWhiteoutMetaPrefix)) return;  // aufs bookkeeping, meaningless here
    const std::string target = base.substr(kWhiteoutPrefix.size());
    if (target.empty() || target == "." || target == "..") refuse(current_name_, "bad whiteout");
    struct stat st {};
    if (::fstatat(parent, target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      remove_tree_at(parent, target);
    if (::mknodat(parent, target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
      throw_errno("creating the whiteout for " + current_name_);
  }

  void hardlink(int parent, const std::string& base, const std::string& link) {
    if (link.starts_with('/')) refuse(current_name_, "hard link to absolute path \"" + link + "\"");
    std::string target;
    try {
      target = clean_member_name(link, reader_.what());
    } catch (const InvalidArgument&) {
      refuse(current_name_, "hard link target \"" + link + "\" leaves the archive");
    }
    if (target.empty()) refuse(current_name_, "hard link to the archive root");
    auto parts = split(target);
    const std::string target_base = parts.back();
    parts.pop_back();
    UniqueFd target_parent = open_dir(parts, false);
    struct stat st {};
    if (!target_parent ||
        ::fstatat(target_parent.get(), target_base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      refuse(current_name_, "hard link target \"" + link + "\" is not in the archive");
    if (S_ISDIR(st.st_mode)) refuse(current_name_, "hard link to a directory");
    clear_for_non_dir(parent, base);
    // flags 0: a symlink target is linked itself, never followed.
    if (::linkat(target_parent.get(), target_base.c_str(), parent, base.c_str(), 0) != 0)
      throw_errno("link " + current_name_ + " to " + link);
  }

  void directory(int parent, const std::string& base, const std::string& name,
                 archive_entry* entry) {
    if (auto mount = mount_roots_.find(name); mount != mount_roots_.end()) {
      // The entry describes the mounted directory itself, as seen in the container.
      if (options_.mounts.at(name).read_only)
        throw Error("Error processing tar file(exit status 1): lchown " + named(name) +
                    ": read-only file system");
      set_owner_mode_xattrs(mount->second.get(), entry);
      dir_times_.emplace_back(name, entry_times(entry));
      return;
    }
    struct stat st {};
    if (::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
      if (options_.no_overwrite_dir_non_dir)
        throw InvalidArgument(
            "Error processing tar file(exit status 1): cannot overwrite "
            "non-directory \"" +
            named(name) + "\" with directory \"" + options_.target_name + "\"");
      refuse_removing_mount_point(name);
      if (::unlinkat(parent, base.c_str(), 0) != 0) throw_errno("unlink " + name);
    }
    if (::mkdirat(parent, base.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + name);
    UniqueFd fd(::openat(parent, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open " + name);
    set_owner_mode_xattrs(fd.get(), entry);
    dir_times_.emplace_back(name, entry_times(entry));
  }

  // `name` (relative to the target) as dockerd's errors name it.
  std::string named(const std::string& name) const {
    const std::string& target = options_.target_name;
    return target.ends_with('/') ? target + name : target + "/" + name;
  }

  // What unlinking a mount point gives, in dockerd's words: its untar runs in a child process, and
  // the error says how that child ended.
  void refuse_removing_mount_point(const std::string& name) const {
    if (options_.mount_points.contains(name))
      throw Error("Error processing tar file(exit status 1): unlinkat " + named(name) +
                  ": device or resource busy");
  }

  // Writing below a read-only mount fails as it does in the container.
  void refuse_read_only_mount(const std::string& name) const {
    for (const auto& [point, mount] : options_.mounts)
      if (mount.read_only && name.starts_with(point + "/"))
        throw Error("Error processing tar file(exit status 1): open " + named(name) +
                    ": read-only file system");
  }

  void clear_for_non_dir(int parent, const std::string& base) {
    struct stat st {};
    if (::fstatat(parent, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (S_ISDIR(st.st_mode)) {
      if (options_.no_overwrite_dir_non_dir)
        throw InvalidArgument(
            "Error processing tar file(exit status 1): cannot overwrite "
            "directory \"" +
            named(current_clean_name_) + "\" with non-directory \"" + options_.target_name + "\"");
      refuse_removing_mount_point(current_clean_name_);
      remove_tree_at(parent, base);
      return;
    }
    refuse_removing_mount_point(current_clean_name_);
    if (::unlinkat(parent, base.c_str(), 0) != 0) {
      throw_errno("unlink " + current_name_);
    }
  }

  void regular(int parent, const std::string& base, archive_entry* entry) {
    UniqueFd fd(
        ::openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create " + current_name_);
    const void* data = nullptr;
    size_t size = 0;
    int64_t offset = 0;
    while (reader_.read_block(&data, &size, &offset)) {
      const char* p = static_cast<const char*>(data);
      while (size > 0) {
        const ssize_t n = ::pwrite(fd.get(), p, size, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("write " + current_name_);
        p += n;
        size -= static_cast<size_t>(n);
        offset += n;
      }
    }
    // A trailing hole in a sparse file has no data block: the size comes from the header.
    if (archive_entry_size_is_set(entry) && ::ftruncate(fd.get(), archive_entry_size(entry)) != 0)
      throw_errno("truncate " + current_name_);
    size_ += archive_entry_size(entry);
    set_owner_mode_xattrs(fd.get(), entry);
    const auto times = entry_times(entry);
    ::futimens(fd.get(), times.data());
  }

  // Owner, mode and times of a symlink or device node, set through its parent without following.
  void finish_node(int parent, const std::string& base, archive_entry* entry, bool symlink) {
    if (is_root_ &&
        ::fchownat(parent, base.c_str(), static_cast<uid_t>(archive_entry_uid(entry)),
                   static_cast<gid_t>(archive_entry_gid(entry)), AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno("chown " + current_name_);
    if (!symlink && ::fchmodat(parent, base.c_str(), archive_entry_perm(entry) & 07777, 0) != 0)
      throw_errno("chmod " + current_name_);
    const auto times = entry_times(entry);
    ::utimensat(parent, base.c_str(), times.data(), AT_SYMLINK_NOFOLLOW);
  }

  void set_owner_mode_xattrs(int fd, archive_entry* entry) {
    if (is_root_ && ::fchown(fd, static_cast<uid_t>(archive_entry_uid(entry)),
                             static_cast<gid_t>(archive_entry_gid(entry))) != 0)
      throw_errno("chown " + current_name_);
    // After chown, which clears set-id bits.
    if (::fchmod(fd, archive_entry_perm(entry) & 07777) != 0) throw_errno("chmod " + current_name_);
    archive_entry_xattr_reset(entry);
    const char* key = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(entry, &key, &value, &size) == ARCHIVE_OK) {
      const std::string_view name(key);
      // Overlay's own attributes would let a layer redirect lookups; they come only from whiteouts.
      if (name.starts_with("trusted.overlay.")) continue;
      if (::fsetxattr(fd, key, value, size, 0) != 0)
        log::debug("cannot set an xattr", {{"entry", current_name_}, {"xattr", name}});
    }
  }

  static std::array<timespec, 2> entry_times(archive_entry* entry) {
    std::array<timespec, 2> times{};
    times[1].tv_sec = archive_entry_mtime(entry);
    times[1].tv_nsec = archive_entry_mtime_nsec(entry);
    if (archive_entry_atime_is_set(entry)) {
      times[0].tv_sec = archive_entry_atime(entry);
      times[0].tv_nsec = archive_entry_atime_nsec(entry);
    } else {
      times[0] = times[1];
    }
    return times;
  }

  TarReader& reader_;
  ExtractOptions options_;
  bool is_root_;
  UniqueFd root_;
  std::map<std::string, UniqueFd> mount_roots_;  // options_.mounts, opened
  std::string current_name_;
  std::string
      current_clean_name_;  // current_name_ relative to the target, as clean_member_name makes it
  int64_t size_ = 0;
  std::vector<std::pair<std::string, std::array<timespec, 2>>> dir_times_;
};

}  // namespace

int64_t extract_tar(TarReader& reader, const std::filesystem::path& dir,
                    const ExtractOptions& options) {
  return Extractor(reader, dir, options).run();
}

void remove_tree_at(int parent_fd, const std::string& name) {
  UniqueFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (::unlinkat(parent_fd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    throw_errno("remove " + name);
  }
  const int dir_fd = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
  if (dir_fd < 0) throw_errno("dup");
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dir_fd), ::closedir);
  if (!dir) {
    ::close(dir_fd);
    throw_errno("opendir " + name);
  }
  std::vector<std::pair<std::string, bool>> children;
  while (dirent* d = ::readdir(dir.get())) {
    const std::string child = d->d_name;
    if (child == "." || child == "..") continue;
    struct stat st {};
    if (::fstatat(fd.get(), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    children.emplace_back(child, S_ISDIR(st.st_mode));
  }
  for (const auto& [child, is_dir] : children) {
    if (is_dir) {
      remove_tree_at(fd.get(), child);
    } else if (::unlinkat(fd.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
      throw_errno("remove " + name + "/" + child);
    }
  }
  if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    throw_errno("remove " + name);
}

}  // namespace berth::engine
