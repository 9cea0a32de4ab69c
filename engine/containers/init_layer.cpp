#include "engine/containers/init_layer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth::engine {
namespace {

enum class Kind { kDir, kFile, kLink };
struct Entry {
  const char* path;  // relative to the layer; parents come first
  Kind kind;
  const char* target = nullptr;  // for kLink
};

// moby's daemon/initlayer: the same entries, owners root, directories and files 0755.
constexpr Entry kEntries[] = {
    {"dev", Kind::kDir},
    {"dev/pts", Kind::kDir},
    {"dev/shm", Kind::kDir},
    {"dev/console", Kind::kFile},
    {"proc", Kind::kDir},
    {"sys", Kind::kDir},
    {"etc", Kind::kDir},
    {"etc/resolv.conf", Kind::kFile},
    {"etc/hosts", Kind::kFile},
    {"etc/hostname", Kind::kFile},
    {"etc/mtab", Kind::kLink, "/proc/mounts"},
    {".dockerenv", Kind::kFile},  // last: its presence says the layer is complete
};

void create(int layer_fd, const Entry& e) {
  int rc = 0;
  switch (e.kind) {
    case Kind::kDir:
      rc = ::mkdirat(layer_fd, e.path, 0755);
      if (rc == 0) rc = ::fchmodat(layer_fd, e.path, 0755, 0);  // not narrowed by the umask
      break;
    case Kind::kLink:
      rc = ::symlinkat(e.target, layer_fd, e.path);
      break;
    case Kind::kFile: {
      UniqueFd fd(
          ::openat(layer_fd, e.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755));
      rc = fd ? ::fchmod(fd.get(), 0755) : -1;
      break;
    }
  }
  if (rc != 0 && errno != EEXIST) throw_errno(std::string("create the init layer's /") + e.path);
}

}  // namespace

void ensure_init_layer(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw_errno("create the init layer " + dir);
  const UniqueFd layer(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!layer) throw_errno("open the init layer " + dir);
  struct stat st {};
  if (::fstatat(layer.get(), ".dockerenv", &st, AT_SYMLINK_NOFOLLOW) == 0) return;
  // Not synced: a layer left half made by a crash is completed by the next call. (An fsync here
  // cost ~5 ms of every `docker run`.)
  for (const Entry& e : kEntries) create(layer.get(), e);
}

}  // namespace berth::engine
