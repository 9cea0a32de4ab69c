#pragma once
// Writing to a pipe or socket whose reader is gone raises SIGPIPE, which kills a process that has
// not ignored it. Library code cannot rely on every program ignoring it (and OpenSSL writes with
// plain write(2), where MSG_NOSIGNAL cannot be passed), so the writes that may hit a closed peer
// block it in their thread for their duration and swallow any they caused: EPIPE then comes back as
// an ordinary error.
#include <pthread.h>
#include <signal.h>

namespace berth {

class SigpipeBlocker {
 public:
  SigpipeBlocker() {
    ::sigemptyset(&set_);
    ::sigaddset(&set_, SIGPIPE);
    sigset_t pending, old;
    ::sigpending(&pending);
    was_pending_ = ::sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &set_, &old);
    was_blocked_ = ::sigismember(&old, SIGPIPE) == 1;
  }
  ~SigpipeBlocker() {
    if (!was_pending_) {
      timespec zero{};
      while (::sigtimedwait(&set_, nullptr, &zero) > 0) {
      }
    }
    if (!was_blocked_) ::pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
  }
  SigpipeBlocker(const SigpipeBlocker&) = delete;
  SigpipeBlocker& operator=(const SigpipeBlocker&) = delete;

 private:
  sigset_t set_;
  bool was_pending_ = false;
  bool was_blocked_ = false;
};

}  // namespace berth
