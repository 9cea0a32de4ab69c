#include "engine/shim/shim_server.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/stdcopy.hpp"
#include "common/unix_socket.hpp"
#include "engine/shim/shim_protocol.hpp"

namespace berth::engine::shim {
namespace {

using namespace std::chrono_literals;

constexpr size_t kReadChunk = 32 * 1024;
// Output queued for one attach client before the shim stops reading the process's output. The
// process then blocks on its next write, as under dockerd, instead of the shim buffering without
// bound.
constexpr size_t kClientHighWater = 256 * 1024;
// A client that makes no progress on its queue for this long is dropped, so a stuck client cannot
// stall the process (and its log) forever. BERTH_SHIM_STALL_TIMEOUT_MS overrides it (tests).
std::chrono::milliseconds stall_timeout() {
  static const std::chrono::milliseconds timeout = [] {
    const char* env = std::getenv("BERTH_SHIM_STALL_TIMEOUT_MS");
    if (env != nullptr && *env != '\0') {
      try {
        return std::chrono::milliseconds(std::stoll(env));
      } catch (const std::exception&) {
      }
    }
    return std::chrono::milliseconds(30s);
  }();
  return timeout;
}
// Client input queued for the process's stdin before the shim stops reading clients.
constexpr size_t kStdinHighWater = 256 * 1024;

void write_all_blocking(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the launcher is gone; nobody is left to tell
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string ShimServer::one_line(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

// Reads whatever a client still sent, then closes our side: closing a socket with unread input
// makes the kernel send RST, which can destroy output the client has not read yet.
void ShimServer::close_gracefully(UniqueFd& fd) {
  if (!fd) return;
  char buf[4096];
  while (::read(fd.get(), buf, sizeof buf) > 0) {
  }
  ::shutdown(fd.get(), SHUT_WR);
  fd.reset();
}

ShimServer::ShimServer(ShimLaunch launch) : launch_(std::move(launch)), process_(launch_) {}

void ShimServer::setup() {
  // SIGCHLD arrives through the signalfd; the rest must not kill the shim while it holds a
  // container's stdio (SIGPIPE from a vanished client, SIGHUP/SIGINT from a terminal).
  sigset_t mask;
  ::sigemptyset(&mask);
  ::sigaddset(&mask, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) throw_errno("block SIGCHLD");
  signal_fd_.reset(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_) throw_errno("signalfd");
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);

  if (!launch_.log_path.empty()) {
    log_.emplace(launch_.log_path,
                 JsonLogLimits{launch_.log_max_size, launch_.log_max_files, launch_.log_compressor},
                 launch_.log_attrs);
  }
  process_.prepare_stdio();
  SocketAddress address(launch_.state_dir, kSocketFile);
  listener_ = listen_unix(address.path(), 64, 0600);
  int flags = ::fcntl(listener_.get(), F_GETFL);
  ::fcntl(listener_.get(), F_SETFL, flags | O_NONBLOCK);
}

int ShimServer::run(UniqueFd ready_fd) {
  try {
    setup();
    write_file_replace(state_file(launch_.state_dir, kPidFile), std::to_string(::getpid()) + "\n");
    if (!process_.is_exec()) pid_ = process_.launch();
  } catch (const std::exception& e) {
    log::error("shim setup failed", {{"id", launch_.id}, {"error", e.what()}});
    write_all_blocking(ready_fd.get(), "error " + one_line(e.what()) + "\n");
    ::unlink(state_file(launch_.state_dir, kSocketFile).c_str());
    return 1;
  }
  write_all_blocking(ready_fd.get(), "ok " + std::to_string(pid_) + "\n");
  ready_fd.reset();
  log::info("shim ready", {{"id", launch_.id}, {"pid", pid_}});
  loop();
  ::unlink(state_file(launch_.state_dir, kSocketFile).c_str());
  log::info("shim exiting", {{"id", launch_.id}});
  return 0;
}

bool ShimServer::output_paused() const {
  for (const auto& c : clients_) {
    if (c.fd && c.out.size() > kClientHighWater) return true;
  }
  return false;
}

bool ShimServer::done(Clock::time_point now) const {
  return state_ == State::Exited && runtime_delete_pid_ == 0 &&
         (clients_.empty() || now >= *exit_deadline_);
}

void ShimServer::drop_stalled_clients(Clock::time_point now) {
  for (auto& c : clients_) {
    if (c.fd && c.stalled_since && now - *c.stalled_since >= stall_timeout()) {
      log::warn("dropping attach client that stopped reading", {{"id", launch_.id}});
      c.fd.reset();
    }
  }
  clients_.remove_if([](const Client& c) { return !c.fd; });
}

void ShimServer::loop() {
  enum class Kind { Signal, Listener, Stdout, Stderr, Console, StdinOut, Client };
  struct Target {
    Kind kind;
    Client* client;
  };
  std::vector<pollfd> fds;
  std::vector<Target> targets;
  auto add = [&](int fd, short events, Kind kind, Client* client = nullptr) {
    // Clients are always watched: POLLHUP (reported even with no events asked) says they are gone.
    if (fd < 0 || (events == 0 && kind != Kind::Client)) return;
    fds.push_back({fd, events, 0});
    targets.push_back({kind, client});
  };

  for (;;) {
    auto now = Clock::now();
    drop_stalled_clients(now);
    if (done(now)) return;

    fds.clear();
    targets.clear();
    add(signal_fd_.get(), POLLIN, Kind::Signal);
    add(listener_.get(), POLLIN, Kind::Listener);
    // Until berthd says start, output waits in the pipes: a client that attaches between the
    // launch and the start (docker run does) still gets it from the first byte.
    if (state_ == State::Running && !output_paused()) {
      add(process_.stdout_fd().get(), POLLIN, Kind::Stdout);
      add(process_.stderr_fd().get(), POLLIN, Kind::Stderr);
      add(process_.console_fd().get(), POLLIN, Kind::Console);
    }
    if (!stdin_buffer_.empty()) {
      int fd = launch_.tty ? process_.console_fd().get() : process_.stdin_fd().get();
      add(fd, POLLOUT, Kind::StdinOut);
    }
    auto timeout = Clock::duration::max();
    for (auto& c : clients_) {
      short events = 0;
      bool stdin_full =
          c.mode == Client::Mode::Attach && c.stdin && stdin_buffer_.size() >= kStdinHighWater;
      if (!c.input_done && !stdin_full) events |= POLLIN;
      if (!c.out.empty()) events |= POLLOUT;
      add(c.fd.get(), events, Kind::Client, &c);
      if (c.stalled_since) timeout = std::min(timeout, *c.stalled_since + stall_timeout() - now);
    }
    // Past the linger deadline only the runtime's delete keeps us here; its SIGCHLD wakes the poll.
    if (exit_deadline_ && *exit_deadline_ > now) timeout = std::min(timeout, *exit_deadline_ - now);
    int timeout_ms = -1;
    if (timeout != Clock::duration::max()) {
      timeout_ms = static_cast<int>(
          std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(timeout).count()));
    }

    int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      const short revents = fds[i].revents;
      if (revents == 0) continue;
      const Target& t = targets[i];
      switch (t.kind) {
        case Kind::Signal:
          reap_children();
          break;
        case Kind::Listener:
          accept_clients();
          break;
        case Kind::Stdout:
          read_output(process_.stdout_fd(), "stdout");
          break;
        case Kind::Stderr:
          read_output(process_.stderr_fd(), "stderr");
          break;
        case Kind::Console:
          read_output(process_.console_fd(), "stdout");
          break;
        case Kind::StdinOut:
          write_stdin();
          break;
        case Kind::Client:
          if (!t.client->fd) break;
          // Both directions closed: an attach client that detached, a waiter that timed out.
          // (A half-close for stdin_once shows as POLLIN and end of stream, never POLLHUP.)
          if ((revents & (POLLHUP | POLLERR)) && t.client->input_done) {
            t.client->fd.reset();
            break;
          }
          if (revents & (POLLIN | POLLHUP | POLLERR)) read_client(*t.client);
          if (t.client->fd && (revents & POLLOUT)) write_client(*t.client);
          break;
      }
    }
    clients_.remove_if([](const Client& c) { return !c.fd; });
  }
}

void ShimServer::accept_clients() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;  // EAGAIN, or a client that gave up before we accepted it
    Client& c = clients_.emplace_back();
    c.fd = std::move(fd);
  }
}

void ShimServer::read_client(Client& c) {
  char buf[kReadChunk];
  ssize_t n = ::read(c.fd.get(), buf, sizeof buf);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    c.fd.reset();  // reset by peer: nobody left to write to either
    return;
  }
  if (n == 0) {
    client_input_ended(c);
    return;
  }
  std::string_view data(buf, static_cast<size_t>(n));
  if (c.mode == Client::Mode::Attach) {
    feed_stdin(c, data);
    return;
  }
  if (c.mode != Client::Mode::Request) return;  // a waiter has nothing to say
  c.in.append(data);
  auto newline = c.in.find('\n');
  if (newline == std::string::npos) {
    if (c.in.size() > kMaxRequestLine) {
      reply(c, false, "request line too long");
      c.finish = true;
      c.input_done = true;
    }
    return;
  }
  std::string line = c.in.substr(0, newline);
  std::string rest = c.in.substr(newline + 1);
  c.in.clear();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  handle_request(c, line);
  // Bytes after an attach request are the first stdin bytes (a client may send them at once).
  if (c.mode == Client::Mode::Attach && !rest.empty()) feed_stdin(c, rest);
}

void ShimServer::client_input_ended(Client& c) {
  c.input_done = true;
  if ((c.mode == Client::Mode::Request && c.out.empty()) || c.mode == Client::Mode::Wait) {
    c.fd.reset();  // gone before asking anything, or a waiter that gave up
    return;
  }
  if (c.mode != Client::Mode::Attach || !c.stdin) return;
  // Keys held back as a possible detach sequence were typed input after all.
  queue_stdin(std::string_view(c.detach_keys).substr(0, c.detach_matched));
  c.detach_matched = 0;
  // As dockerd: the end of a client's input closes the process's stdin only for StdinOnce without
  // a terminal. A terminal's client never ends its input but by going away (docker detaches by
  // closing the connection once it read the detach keys), and the process keeps its stdin for the
  // next attach; that session, like any other whose input ended, is over.
  if (launch_.stdin_once && !launch_.tty) {
    request_stdin_close();
    return;
  }
  end_attach(c);
}

// Stops sending output to an attach client and closes it once what is queued is written.
void ShimServer::end_attach(Client& c) {
  c.input_done = true;
  c.finish = true;
  if (c.out.empty()) close_gracefully(c.fd);
}

// Input of an attach client: to the process's stdin, except a detach key sequence (TTY only, as
// dockerd), which ends the session and leaves stdin open.
void ShimServer::feed_stdin(Client& c, std::string_view data) {
  if (!c.stdin) return;
  if (c.detach_keys.empty()) {
    queue_stdin(data);
    return;
  }
  std::string passed;
  for (char byte : data) {
    if (byte == c.detach_keys[c.detach_matched]) {
      if (++c.detach_matched < c.detach_keys.size()) continue;
      queue_stdin(passed);
      log::info("attach client detached", {{"id", launch_.id}});
      end_attach(c);
      return;
    }
    // Not the sequence after all: what was held back goes through (as docker's escape proxy).
    passed.append(c.detach_keys, 0, c.detach_matched);
    c.detach_matched = 0;
    passed.push_back(byte);
  }
  queue_stdin(passed);
}

void ShimServer::queue_stdin(std::string_view data) {
  if (data.empty() || state_ == State::Exited || stdin_close_requested_) return;
  if (launch_.tty ? !process_.console_fd() : !process_.stdin_fd()) return;
  stdin_buffer_.append(data);
  write_stdin();
}

void ShimServer::write_stdin() {
  UniqueFd& fd = launch_.tty ? process_.console_fd() : process_.stdin_fd();
  while (fd && !stdin_buffer_.empty()) {
    ssize_t n = ::write(fd.get(), stdin_buffer_.data(), stdin_buffer_.size());
    if (n > 0) {
      stdin_buffer_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EPIPE: the process closed its stdin. Input has nowhere to go any more.
    stdin_buffer_.clear();
    if (!launch_.tty) fd.reset();
  }
  // A TTY's stdin is the terminal itself, which also carries the output: it stays open.
  if (stdin_buffer_.empty() && stdin_close_requested_ && !launch_.tty) process_.stdin_fd().reset();
}

void ShimServer::request_stdin_close() {
  stdin_close_requested_ = true;
  write_stdin();
}

bool ShimServer::read_output(UniqueFd& fd, std::string_view stream) {
  char buf[kReadChunk];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n > 0) {
    dispatch_output(stream, std::string_view(buf, static_cast<size_t>(n)));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
  // End of stream; for a pty master EIO means every slave fd is closed.
  fd.reset();
  return false;
}

void ShimServer::dispatch_output(std::string_view stream, std::string_view data) {
  if (log_) {
    try {
      log_->write(stream, data);
    } catch (const std::exception& e) {
      log::error("writing container log failed", {{"id", launch_.id}, {"error", e.what()}});
    }
  }
  const bool is_stdout = stream == "stdout";
  std::string framed;
  if (!launch_.tty) {
    framed = encode_frame(is_stdout ? StreamType::Stdout : StreamType::Stderr, data);
  }
  const auto now = Clock::now();
  for (auto& c : clients_) {
    if (!c.fd || c.mode != Client::Mode::Attach || c.finish) continue;
    if (!(is_stdout ? c.stdout : c.stderr)) continue;
    c.out.append(launch_.tty ? data : std::string_view(framed));
    if (c.out.size() > kClientHighWater && !c.stalled_since) c.stalled_since = now;
  }
}

void ShimServer::write_client(Client& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      if (c.out.size() > kClientHighWater) {
        c.stalled_since = Clock::now();  // progress: restart the stall clock
      } else {
        c.stalled_since.reset();
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    c.fd.reset();  // the client went away
    return;
  }
  if (c.finish) close_gracefully(c.fd);
}

}  // namespace berth::engine::shim
