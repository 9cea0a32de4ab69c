#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth {
namespace {

std::string parent_directory(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string random_suffix() {
  unsigned char bytes[8];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    throw_errno("getrandom");
  }
  std::string hex;
  for (unsigned char b : bytes) {
    char digits[3];
    std::snprintf(digits, sizeof digits, "%02x", b);
    hex += digits;
  }
  return hex;
}

void write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(what);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Unlinks the temp file unless the rename consumed it.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  ~TempFileGuard() {
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  void commit() noexcept { committed_ = true; }

 private:
  std::string path_;
  bool committed_ = false;
};

}  // namespace

namespace {

enum class Durability { synced, unsynced };

void replace_file(const std::string& path, std::string_view contents, mode_t mode,
                  Durability durability) {
  if (path.empty() || path.back() == '/') {
    throw InvalidArgument("write_file_atomic: invalid file path \"" + path + "\"");
  }
  std::string dir = parent_directory(path);
  std::string base = path.substr(path.find_last_of('/') + 1);

  // Dot-prefixed so directory scans that skip hidden files never pick up a half-written temp.
  std::string temp_path;
  UniqueFd fd;
  for (int attempt = 0; !fd; ++attempt) {
    temp_path = (dir == "/" ? "" : dir) + "/." + base + ".tmp-" + random_suffix();
    fd.reset(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd && (errno != EEXIST || attempt >= 10)) throw_errno("create temp file for " + path);
  }
  TempFileGuard guard(temp_path);

  write_all(fd.get(), contents, "write " + temp_path);
  if (::fchmod(fd.get(), mode) != 0) throw_errno("chmod " + temp_path);
  if (durability == Durability::synced && ::fsync(fd.get()) != 0) throw_errno("fsync " + temp_path);
  // close can report deferred write errors (NFS); a file we could not finish must not be renamed
  // in.
  if (::close(fd.release()) != 0) throw_errno("close " + temp_path);
  if (::rename(temp_path.c_str(), path.c_str()) != 0) throw_errno("rename over " + path);
  guard.commit();
  if (durability == Durability::unsynced) return;

  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) throw_errno("open directory " + dir);
  // Some filesystems cannot fsync a directory (EINVAL); the rename itself has already happened.
  if (::fsync(dir_fd.get()) != 0 && errno != EINVAL) throw_errno("fsync directory " + dir);
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view contents, mode_t mode) {
  replace_file(path, contents, mode, Durability::synced);
}

void write_file_replace(const std::string& path, std::string_view contents, mode_t mode) {
  replace_file(path, contents, mode, Durability::unsynced);
}

void write_file_in_place(const std::string& path, std::string_view contents) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) throw NotFound("file not found: " + path);
    throw_errno("open " + path);
  }
  write_all(fd.get(), contents, "write " + path);
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) throw NotFound("file not found: " + path);
    throw_errno("open " + path);
  }
  std::string data;
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
    data.reserve(static_cast<std::size_t>(st.st_size));
  }
  // Read to EOF rather than trusting st_size: /proc and /sys files report 0 or a page.
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + path);
    if (n == 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
  }
}

void ensure_directory(const std::string& path, mode_t mode) {
  if (path.empty()) throw InvalidArgument("ensure_directory: empty path");
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    std::string prefix = path.substr(0, pos);
    if (prefix.empty() || prefix.back() == '/') continue;  // "/" itself, or "a//b"
    if (::mkdir(prefix.c_str(), mode) == 0) continue;
    int err = errno;
    struct stat st {};
    if (err == EEXIST && ::stat(prefix.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) continue;
      throw SystemError("create directory " + path + ": " + prefix + " exists", ENOTDIR);
    }
    throw_errno("create directory " + prefix, err);
  }
}

}  // namespace berth
