#include "cli/client/attach_session.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "common/error.hpp"
#include "common/sigpipe_blocker.hpp"
#include "common/stdcopy.hpp"
#include "common/unique_fd.hpp"

namespace berth::cli::client {

struct RawTerminal::Saved {
  termios state;
};

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  termios state{};
  if (!::isatty(fd) || ::tcgetattr(fd, &state) != 0) return;
  saved_ = std::make_unique<Saved>(Saved{state});
  ::cfmakeraw(&state);
  ::tcsetattr(fd, TCSANOW, &state);
}

RawTerminal::~RawTerminal() {
  if (saved_) ::tcsetattr(fd_, TCSANOW, &saved_->state);
}

std::pair<int, int> terminal_size(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0) return {0, 0};
  return {size.ws_row, size.ws_col};
}

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev ? abbrev : std::to_string(signal);
}

namespace {

void write_fd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, -1);
        continue;
      }
      return;  // our reader went away (a closed pipe): drop the rest, as docker does
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Signals docker's CLI proxies to the container (all catchable ones it is usually sent) plus
// SIGWINCH for resizes.
sigset_t forwarded_signals(bool forward, bool resize) {
  sigset_t set;
  ::sigemptyset(&set);
  if (forward) {
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) ::sigaddset(&set, s);
  }
  if (resize) ::sigaddset(&set, SIGWINCH);
  return set;
}

// The helper thread: stdin → stream, signals → callbacks, until told to stop through `stop_fd`.
void helper_loop(Stream& stream, const AttachIo& io, int signal_fd, int stop_fd) {
  bool stdin_open = io.send_stdin;
  std::vector<char> buffer(32 * 1024);
  while (true) {
    pollfd fds[3] = {
        {stop_fd, POLLIN, 0}, {signal_fd, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    if (signal_fd >= 0 && (fds[1].revents & POLLIN)) {
      signalfd_siginfo info{};
      if (::read(signal_fd, &info, sizeof info) == sizeof info) {
        const int sig = static_cast<int>(info.ssi_signo);
        try {
          if (sig == SIGWINCH) {
            if (io.resize) {
              auto [rows, cols] = terminal_size(1);
              io.resize(rows, cols);
            }
          } else if (io.forward_signal) {
            io.forward_signal(signal_name(sig));
          }
        } catch (const std::exception&) {
          // The container may be gone already; the output side ends the session.
        }
      }
    }
    if (stdin_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::read(0, buffer.data(), buffer.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      try {
        SigpipeBlocker no_sigpipe;
        if (n > 0) {
          stream.write_all(buffer.data(), static_cast<size_t>(n));
        } else {
          stdin_open = false;
          if (!io.tty) stream.shutdown_write();  // EOF reaches the container's stdin
        }
      } catch (const std::exception&) {
        stdin_open = false;  // the container stopped reading
      }
    }
  }
}

}  // namespace

void pump_attached(Stream& stream, const AttachIo& io) {
  const bool forward = static_cast<bool>(io.forward_signal);
  const bool resize = static_cast<bool>(io.resize);
  sigset_t set = forwarded_signals(forward, resize);
  sigset_t old_mask;
  ::pthread_sigmask(SIG_BLOCK, &set, &old_mask);
  UniqueFd signal_fd(forward || resize ? ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) : -1);
  int stop_pipe[2];
  if (::pipe2(stop_pipe, O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd stop_read(stop_pipe[0]), stop_write(stop_pipe[1]);

  std::thread helper;
  if (io.send_stdin || signal_fd.get() >= 0) {
    helper =
        std::thread(helper_loop, std::ref(stream), std::cref(io), signal_fd.get(), stop_read.get());
  }
  std::exception_ptr failure;
  try {
    FrameDecoder decoder([](StreamType type, std::string_view payload) {
      write_fd(type == StreamType::Stderr ? 2 : 1, payload);
    });
    std::vector<char> buffer(32 * 1024);
    while (size_t n = stream.read_some(buffer.data(), buffer.size())) {
      std::string_view chunk(buffer.data(), n);
      if (io.tty) {
        write_fd(1, chunk);
      } else {
        decoder.feed(chunk);
      }
    }
  } catch (const std::exception&) {
    failure = std::current_exception();
  }
  if (helper.joinable()) {
    char byte = 1;
    [[maybe_unused]] auto written = ::write(stop_write.get(), &byte, 1);
    helper.join();
  }
  signal_fd.reset();
  // Drop what arrived meanwhile instead of letting it act on us after the mask is restored.
  timespec zero{0, 0};
  while (::sigtimedwait(&set, nullptr, &zero) > 0) {
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace berth::cli::client
