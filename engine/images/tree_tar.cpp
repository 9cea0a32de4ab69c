#include "engine/images/tree_tar.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth::engine {
namespace {

constexpr std::string_view kOpaqueXattr = "trusted.overlay.opaque";

std::vector<std::string> list_dir(int fd, const std::string& what) {
  const int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) throw_errno("dup");
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dup_fd), ::closedir);
  if (!dir) {
    ::close(dup_fd);
    throw_errno("opendir " + what);
  }
  std::vector<std::string> names;
  while (dirent* d = ::readdir(dir.get())) {
    const std::string name = d->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  std::sort(names.begin(), names.end());  // reproducible archives
  return names;
}

// Every xattr of an open file as (name, value).
std::vector<std::pair<std::string, std::string>> read_xattrs(int fd) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t size = ::flistxattr(fd, nullptr, 0);
  if (size <= 0) return out;
  std::string names(static_cast<size_t>(size), '\0');
  size = ::flistxattr(fd, names.data(), names.size());
  if (size <= 0) return out;
  names.resize(static_cast<size_t>(size));
  for (size_t start = 0; start < names.size();) {
    const std::string name = names.c_str() + start;
    start += name.size() + 1;
    const ssize_t value_size = ::fgetxattr(fd, name.c_str(), nullptr, 0);
    if (value_size < 0) continue;
    std::string value(static_cast<size_t>(value_size), '\0');
    const ssize_t got = ::fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (got < 0) continue;
    value.resize(static_cast<size_t>(got));
    out.emplace_back(name, value);
  }
  return out;
}

class TreeWriter {
 public:
  TreeWriter(TarWriter& writer, const TreeTarOptions& options)
      : writer_(writer), options_(options) {}

  void write_root(const std::filesystem::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw_errno("stat " + path.string());
    if (!S_ISDIR(st.st_mode)) {
      const auto parent = path.has_parent_path() ? path.parent_path() : ".";
      UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!parent_fd) throw_errno("open " + parent.string());
      write_root_at(parent_fd.get(), path.filename().string(), path.string());
      return;
    }
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open " + path.string());
    write_root_at(fd.get(), ".", path.string());
  }

  void write_root_at(int dir_fd, const std::string& base, const std::string& what) {
    struct stat st {};
    if (::fstatat(dir_fd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno("stat " + what);
    if (!S_ISDIR(st.st_mode)) {
      const std::string name = options_.prefix.empty() ? base : options_.prefix;
      write_node(dir_fd, base, name, st);
      return;
    }
    UniqueFd fd(::openat(dir_fd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open " + what);
    if (!options_.prefix.empty()) write_dir_entry(fd.get(), options_.prefix, st);
    write_children(fd.get(), options_.prefix, what);
  }

 private:
  void write_children(int dir_fd, const std::string& dir_name, const std::string& what) {
    for (const auto& child : list_dir(dir_fd, what)) {
      struct stat st {};
      if (::fstatat(dir_fd, child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed while we walk: a running container
        throw_errno("stat " + what + "/" + child);
      }
      const std::string name = dir_name.empty() ? child : dir_name + "/" + child;
      write_node(dir_fd, child, name, st);
    }
  }

  void write_node(int parent_fd, const std::string& base, const std::string& name,
                  const struct stat& st) {
    if (S_ISDIR(st.st_mode)) {
      UniqueFd fd(
          ::openat(parent_fd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) throw_errno("open " + name);
      write_dir_entry(fd.get(), name, st);
      write_children(fd.get(), name, name);
      return;
    }
    if (S_ISSOCK(st.st_mode)) return;  // tar has no sockets; docker skips them too
    if (options_.overlay_whiteouts && S_ISCHR(st.st_mode) && st.st_rdev == 0) {
      const auto slash = name.rfind('/');
      const std::string dir = slash == std::string::npos ? "" : name.substr(0, slash + 1);
      write_marker(dir + ".wh." + base, st);
      return;
    }
    EntryPtr entry = make_entry(name, st);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      const auto key = std::make_pair(st.st_dev, st.st_ino);
      if (auto it = links_.find(key); it != links_.end()) {
        archive_entry_set_hardlink(entry.get(), it->second.c_str());
        archive_entry_set_size(entry.get(), 0);
        writer_.write_header(entry.get());
        return;
      }
      links_.emplace(key, name);
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 256) + 1, '\0');
      const ssize_t n = ::readlinkat(parent_fd, base.c_str(), target.data(), target.size());
      if (n < 0) throw_errno("readlink " + name);
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(entry.get(), target.c_str());
      writer_.write_header(entry.get());
      return;
    }
    if (!S_ISREG(st.st_mode)) {  // devices and fifos: the header is everything
      writer_.write_header(entry.get());
      return;
    }
    UniqueFd fd(::openat(parent_fd, base.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open " + name);
    add_xattrs(entry.get(), fd.get());
    writer_.write_header(entry.get());
    std::string buffer(256 * 1024, '\0');
    off_t left = st.st_size;  // exactly the size the header promised, even if the file grows
    while (left > 0) {
      const ssize_t n = ::read(fd.get(), buffer.data(),
                               std::min<size_t>(buffer.size(), static_cast<size_t>(left)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("read " + name);
      if (n == 0) {  // shrank while we read: pad, as the header is already out
        buffer.assign(buffer.size(), '\0');
        writer_.write_data(std::string_view(buffer.data(), static_cast<size_t>(left)));
        break;
      }
      writer_.write_data(std::string_view(buffer.data(), static_cast<size_t>(n)));
      left -= n;
    }
  }

  void write_dir_entry(int fd, const std::string& name, const struct stat& st) {
    EntryPtr entry = make_entry(name, st);
    bool opaque = false;
    if (options_.overlay_whiteouts) {
      char value[4] = {};
      const ssize_t n = ::fgetxattr(fd, std::string(kOpaqueXattr).c_str(), value, sizeof value);
      opaque = n == 1 && value[0] == 'y';
    }
    add_xattrs(entry.get(), fd);
    writer_.write_header(entry.get());
    if (opaque) write_marker(name + "/.wh..wh..opq", st);
  }

  // An empty regular file that stands for a whiteout or an opaque directory.
  void write_marker(const std::string& name, const struct stat& st) {
    EntryPtr entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0600);
    archive_entry_set_uid(entry.get(), st.st_uid);
    archive_entry_set_gid(entry.get(), st.st_gid);
    archive_entry_set_size(entry.get(), 0);
    archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);
    writer_.write_header(entry.get());
  }

  EntryPtr make_entry(const std::string& name, const struct stat& st) {
    EntryPtr entry(archive_entry_new());
    archive_entry_copy_stat(entry.get(), &st);
    archive_entry_set_pathname(entry.get(), name.c_str());
    // Whole seconds and no atime/ctime: what docker writes, and no pax records that change on
    // every read.
    archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);
    archive_entry_unset_atime(entry.get());
    archive_entry_unset_ctime(entry.get());
    archive_entry_unset_birthtime(entry.get());
    if (!S_ISREG(st.st_mode)) archive_entry_set_size(entry.get(), 0);
    if (auto it = options_.user_names.find(st.st_uid); it != options_.user_names.end())
      archive_entry_copy_uname(entry.get(), it->second.c_str());
    if (auto it = options_.group_names.find(st.st_gid); it != options_.group_names.end())
      archive_entry_copy_gname(entry.get(), it->second.c_str());
    return entry;
  }

  void add_xattrs(archive_entry* entry, int fd) {
    for (const auto& [name, value] : read_xattrs(fd)) {
      if (options_.overlay_whiteouts && name.starts_with("trusted.overlay.")) continue;
      archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
    }
  }

  TarWriter& writer_;
  const TreeTarOptions& options_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

void write_tree(TarWriter& writer, const std::filesystem::path& path,
                const TreeTarOptions& options) {
  TreeWriter(writer, options).write_root(path);
}

void write_tree_at(TarWriter& writer, int dir_fd, const std::string& name,
                   const TreeTarOptions& options) {
  TreeWriter(writer, options).write_root_at(dir_fd, name, name);
}

}  // namespace berth::engine
