#include "guest-agent/agent_channel.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <exception>

#include "common/log.hpp"

namespace berth::agent {

AgentChannel::AgentChannel(int fd, AgentProtocol& protocol)
    : fd_(fd), protocol_(protocol), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_) throw_errno("eventfd for the agent channel");
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK) < 0) {
    throw_errno("making the agent channel non-blocking");
  }
}

void AgentChannel::stop() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

void AgentChannel::write_all(std::string_view bytes) {
  const auto deadline = std::chrono::steady_clock::now() + write_timeout_;
  bool socket = true;  // tests use a socketpair, the guest a virtio char device
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a host that hung up must not kill the agent with SIGPIPE.
    ssize_t n = socket ? ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) : -1;
    if (n < 0 && socket && errno == ENOTSOCK) {
      socket = false;
      continue;
    }
    if (!socket) n = ::write(fd_, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) {
      log::warn("agent reply dropped: host gone", {{"bytes", bytes.size()}});
      return;
    }
    if (n < 0 && errno != EAGAIN) throw_errno("writing to the agent channel");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLOUT, 0};
    const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    // virtio-serial reports hang-up (not writable) while no host process holds the port; a new
    // client resynchronises with guest-sync, so the reply is not worth waiting for.
    if (ready == 0 || (ready > 0 && !(p.revents & POLLOUT))) {
      log::warn("agent reply dropped: host not reading", {{"bytes", bytes.size()}});
      return;
    }
  }
}

AgentChannel::End AgentChannel::serve() {
  char buffer[65536];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("polling the agent channel");
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] ssize_t n = ::read(wake_.get(), &count, sizeof count);
      return End::Stopped;
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        // virtio-serial reports POLLHUP without data while no host process holds the chardev.
        if (fds[0].revents & POLLHUP) {
          protocol_.reset();
          return End::HostClosed;
        }
        continue;
      }
      throw_errno("reading the agent channel");
    }
    if (n == 0) {
      protocol_.reset();
      return End::HostClosed;
    }
    auto output = protocol_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
    if (!output.bytes.empty()) write_all(output.bytes);
    for (auto& action : output.after_write) {
      try {
        action();
      } catch (const std::exception& e) {
        log::error("agent command failed after its reply", {{"error", e.what()}});
      }
    }
  }
}

}  // namespace berth::agent
