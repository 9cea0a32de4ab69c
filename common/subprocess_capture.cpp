// run_capture: drives a child's stdin, stdout and stderr from one poll loop, so a child that fills
// one pipe while we wait on another can never deadlock us.
#include <poll.h>
#include <signal.h>

#include <cerrno>

#include "common/error.hpp"
#include "common/sigpipe_blocker.hpp"
#include "common/subprocess.hpp"

namespace berth {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe_command(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    text += arg;
    if (text.size() > 200) return text.substr(0, 200) + "...";
  }
  return text;
}

void set_nonblocking(const UniqueFd& fd) {
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0)
    throw_errno("fcntl O_NONBLOCK");
}

// Reads what is available; resets `fd` at EOF.
void drain(UniqueFd& fd, std::string& out) {
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) fd.reset();
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) throw_errno("read child output");
    return;
  }
}

}  // namespace

CaptureResult run_capture(SpawnOptions options, std::string_view stdin_data,
                          std::optional<std::chrono::milliseconds> timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = Clock::now() + *timeout;
  options.stdin_io = stdin_data.empty() ? Stdio::null() : Stdio::pipe();
  options.stdout_io = Stdio::pipe();
  options.stderr_io = Stdio::pipe();
  Process process = spawn(options);
  UniqueFd in = std::move(process.stdin_pipe());
  UniqueFd out = std::move(process.stdout_pipe());
  UniqueFd err = std::move(process.stderr_pipe());
  for (const UniqueFd* fd : {&in, &out, &err}) {
    if (*fd) set_nonblocking(*fd);
  }

  auto on_timeout = [&]() {
    // With its own session the child leads a process group; take its helpers down with it.
    if (options.new_session) ::kill(-process.pid(), SIGKILL);
    process.kill(SIGKILL);
    process.wait();
    throw Timeout("command timed out after " + std::to_string(timeout->count()) +
                  "ms: " + describe_command(options.argv));
  };
  auto remaining_ms = [&]() -> int {
    if (!deadline) return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
  };

  CaptureResult result;
  SigpipeBlocker sigpipe_blocker;
  std::size_t written = 0;
  while (in || out || err) {
    int wait_ms = remaining_ms();
    if (wait_ms == 0) on_timeout();
    pollfd fds[3];
    nfds_t count = 0;
    auto watch = [&](const UniqueFd& fd, short events) {
      if (!fd) return -1;
      fds[count] = {fd.get(), events, 0};
      return static_cast<int>(count++);
    };
    int in_index = watch(in, POLLOUT);
    int out_index = watch(out, POLLIN);
    int err_index = watch(err, POLLIN);
    int ready = ::poll(fds, count, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_errno("poll child pipes");
    if (ready == 0) continue;

    if (in_index >= 0 && fds[in_index].revents != 0) {
      std::size_t chunk = std::min<std::size_t>(stdin_data.size() - written, 65536);
      ssize_t n = ::write(in.get(), stdin_data.data() + written, chunk);
      if (n > 0) written += static_cast<std::size_t>(n);
      // A child that stops reading early (EPIPE) just gets no more input, as with a shell pipeline.
      if (n < 0 && errno == EPIPE)
        in.reset();
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        throw_errno("write child stdin");
      if (written == stdin_data.size()) in.reset();
    }
    if (out_index >= 0 && fds[out_index].revents != 0) drain(out, result.stdout_data);
    if (err_index >= 0 && fds[err_index].revents != 0) drain(err, result.stderr_data);
  }

  if (deadline) {
    auto status = process.wait_for(std::chrono::milliseconds(remaining_ms()));
    if (!status) on_timeout();
    result.status = *status;
  } else {
    result.status = process.wait();
  }
  return result;
}

CaptureResult run_capture(const std::vector<std::string>& argv, std::string_view stdin_data,
                          std::optional<std::chrono::milliseconds> timeout) {
  SpawnOptions options;
  options.argv = argv;
  options.search_path = true;
  return run_capture(std::move(options), stdin_data, timeout);
}

}  // namespace berth
