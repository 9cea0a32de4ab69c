#include "engine/images/rootfs.hpp"

#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/images/archive_io.hpp"
#include "engine/images/layer_unpack.hpp"
#include "engine/images/tree_tar.hpp"

namespace berth::engine {

namespace fs = std::filesystem;

namespace {

// overlayfs splits its options at ',' and lowerdir at ':'; a backslash escapes them.
std::string escape_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\\' || c == ':' || c == ',') out += '\\';
    out += c;
  }
  return out;
}

std::string overlay_options(const std::vector<std::string>& lowers, const fs::path& upper,
                            const fs::path& work, bool index_off) {
  std::string options = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); ++i) options += (i ? ":" : "") + escape_path(lowers[i]);
  if (!upper.empty())
    options +=
        ",upperdir=" + escape_path(upper.string()) + ",workdir=" + escape_path(work.string());
  // Without this a kernel built with the inodes index on ties an upper dir to the lowers it first
  // saw and refuses later mounts of a shared lower; docker turns it off for the same reason.
  if (index_off) options += ",index=off";
  return options;
}

// mount(2) from another working directory, so relative lowerdir names resolve there. A chdir in
// this multi-threaded process would move every thread, so a short-lived child does it.
void mount_from(const fs::path& cwd, const std::string& options, const fs::path& target) {
  const std::string dir = cwd.string(), where = target.string();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork for an overlay mount");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and _exit.
    if (::chdir(dir.c_str()) != 0) ::_exit(errno);
    if (::mount("overlay", where.c_str(), "overlay", 0, options.c_str()) != 0) ::_exit(errno);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_errno("waiting for the overlay mount");
  if (!WIFEXITED(status)) throw Error("overlay mount helper for " + where + " died");
  if (WEXITSTATUS(status) != 0)
    throw SystemError("mount overlay on " + where + " (lower dirs through short links)",
                      WEXITSTATUS(status));
}

// Lower lists too long for one page: numbered symlinks to the lowers, named relative to their
// directory. The kernel resolves them at mount time, so they can go right after.
void mount_through_links(const std::vector<std::string>& lowers, const fs::path& upper,
                         const fs::path& work, const fs::path& target, bool index_off,
                         size_t page_size) {
  std::string pattern = (fs::absolute(target).parent_path() / ".overlay-links-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw_errno("mkdtemp " + pattern);
  const fs::path links = pattern;
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } cleanup{links};
  std::vector<std::string> short_names;
  for (size_t i = 0; i < lowers.size(); ++i) {
    short_names.push_back(std::to_string(i));
    fs::create_symlink(lowers[i], links / short_names.back());
  }
  const std::string options = overlay_options(short_names, upper, work, index_off);
  if (options.size() >= page_size)
    throw InvalidArgument("overlay mount on " + target.string() + ": " +
                          std::to_string(lowers.size()) + " layers are too many");
  try {
    mount_from(links, options, target);
  } catch (const SystemError& e) {
    if (e.code() != EINVAL || !index_off) throw;
    mount_from(links, overlay_options(short_names, upper, work, false), target);
  }
}

}  // namespace

void mount_overlay(const std::vector<fs::path>& lowers_top_first, const fs::path& upper,
                   const fs::path& work, const fs::path& target) {
  if (lowers_top_first.empty())
    throw InvalidArgument("overlay mount on " + target.string() + " needs a lower dir");
  if (upper.empty() != work.empty())
    throw InvalidArgument("overlay mount on " + target.string() +
                          ": upper and work dirs go together");
  if (upper.empty() && lowers_top_first.size() == 1) {
    // overlayfs wants two lowers without an upper; one read-only layer is a bind mount.
    if (::mount(lowers_top_first[0].c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
      throw_errno("bind mount " + lowers_top_first[0].string() + " on " + target.string());
    if (::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      const int err = errno;
      ::umount2(target.c_str(), MNT_DETACH);  // never leave a writable view of the layer behind
      throw_errno("remount " + target.string() + " read-only", err);
    }
    return;
  }
  std::vector<std::string> lowers;
  for (const auto& lower : lowers_top_first) lowers.push_back(fs::absolute(lower).string());
  const fs::path abs_upper = upper.empty() ? upper : fs::absolute(upper);
  const fs::path abs_work = work.empty() ? work : fs::absolute(work);
  const auto page_size = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  // index=off first; a kernel too old to know the option says EINVAL, and gets a second try.
  for (const bool index_off : {true, false}) {
    const std::string options = overlay_options(lowers, abs_upper, abs_work, index_off);
    if (options.size() >= page_size) {
      mount_through_links(lowers, abs_upper, abs_work, target, index_off, page_size);
      return;
    }
    if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) == 0) return;
    if (errno != EINVAL || !index_off) throw_errno("mount overlay on " + target.string());
  }
}

void unmount(const fs::path& target) {
  // A plain unmount first: it takes half the time of a lazy one (~0.25 against ~0.5 ms for an
  // overlay here), and it is on the way of every `docker run --rm` answer. Only a mount still in
  // use (a copy in progress, a process with its working directory inside) needs MNT_DETACH.
  if (::umount2(target.c_str(), 0) == 0) return;
  if (errno == EBUSY && ::umount2(target.c_str(), MNT_DETACH) == 0) return;
  if (errno == EINVAL || errno == ENOENT) return;  // not a mount point (any more)
  throw_errno("unmount " + target.string());
}

void write_directory_tar(const fs::path& dir, const WriteFn& write, const std::string& prefix) {
  TarWriter writer(write);
  write_tree(writer, dir, TreeTarOptions{.overlay_whiteouts = false, .prefix = prefix});
  writer.finish();
}

void extract_tar_into(const ReadFn& read, const fs::path& dir, bool no_overwrite_dir_non_dir,
                      std::set<std::string> mount_points, const std::string& target_name,
                      std::map<std::string, ExtractOptions::Mount> mounts) {
  TarReader reader(read, "the uploaded archive");
  extract_tar(reader, dir,
              ExtractOptions{.overlay_whiteouts = false,
                             .resolve_in_root = true,
                             .no_overwrite_dir_non_dir = no_overwrite_dir_non_dir,
                             .mount_points = std::move(mount_points),
                             .mounts = std::move(mounts),
                             .target_name = target_name});
}

}  // namespace berth::engine
