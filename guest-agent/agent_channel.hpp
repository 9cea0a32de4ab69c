#pragma once
// Moves bytes between a channel fd (the virtio-serial port in the guest, one end of a socketpair in
// tests) and an AgentProtocol. The fd is not owned.
#include <chrono>

#include "common/unique_fd.hpp"
#include "guest-agent/agent_protocol.hpp"

namespace berth::agent {

class AgentChannel {
 public:
  // Puts `fd` in non-blocking mode: a host that stops reading must not wedge the agent.
  AgentChannel(int fd, AgentProtocol& protocol);

  enum class End { HostClosed, Stopped };
  // Serves requests until the host side closes (EOF / hang-up) or stop() is called. Throws
  // SystemError when the fd fails.
  End serve();
  // Makes serve() return promptly; callable from any thread or a signal handler.
  void stop() noexcept;

 private:
  void write_all(std::string_view bytes);

  int fd_;
  AgentProtocol& protocol_;
  UniqueFd wake_;  // eventfd that stop() signals
  std::chrono::milliseconds write_timeout_{10'000};
};

}  // namespace berth::agent
