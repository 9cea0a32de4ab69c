#pragma once
// The one owner type for raw file descriptors. Every fd berth opens goes into a UniqueFd on the
// line that acquires it, so early returns and exceptions can never leak one.
#include <fcntl.h>
#include <unistd.h>

#include <utility>

namespace berth {

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

  // Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

  // Closes the held fd (if any) and takes `fd`. close() errors are dropped: on Linux the fd is
  // released even when close fails, and retrying on EINTR could close an fd another thread just
  // opened.
  void reset(int fd = -1) noexcept {
    int old = std::exchange(fd_, fd);
    if (old >= 0 && old != fd) ::close(old);
  }

 private:
  int fd_ = -1;
};

// pipe2(flags) as {read end, write end}; throws SystemError.
std::pair<UniqueFd, UniqueFd> make_pipe(int flags = O_CLOEXEC);

}  // namespace berth
