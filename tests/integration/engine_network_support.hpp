#pragma once
// Helpers for the bridge network tests: a private "host" network namespace for the test thread,
// sockets opened inside container namespaces, and tiny TCP/UDP echo servers and clients.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "common/subprocess.hpp"
#include "common/unique_fd.hpp"

namespace berth::engine::testing {

// Moves the calling thread into a fresh network namespace with loopback up, and a temp directory
// (netns/, state.json). The destructor unmounts every namespace file under the directory, returns
// the thread to its original namespace (the private one then vanishes with everything in it:
// bridge, veths, nftables table) and deletes the directory — also when a test failed.
class HostNetns {
 public:
  HostNetns();
  ~HostNetns();
  HostNetns(const HostNetns&) = delete;
  HostNetns& operator=(const HostNetns&) = delete;

  const std::string& dir() const { return dir_; }
  std::string netns_dir() const { return dir_ + "/netns"; }
  std::string state_file() const { return dir_ + "/state.json"; }

 private:
  UniqueFd original_;
  std::string dir_;
};

// Runs argv (PATH searched) with a timeout; in a container namespace via nsenter when `netns` is
// set (only the network namespace: `ip netns exec` would remount /sys).
CaptureResult run(const std::vector<std::string>& argv, const std::string& netns = "");

// A socket created inside the namespace file `netns` (or the caller's namespace when empty); it
// stays in that namespace whichever thread uses it.
UniqueFd socket_in(const std::string& netns, int type);

// A server bound to 0.0.0.0:port (inside `netns`) that answers each TCP connection or UDP
// datagram with `reply` + what it received + " from <peer ip>", until destroyed.
class EchoServer {
 public:
  EchoServer(const std::string& netns, int type, uint16_t port, std::string reply);
  ~EchoServer();

 private:
  void serve();
  UniqueFd socket_;
  int type_;
  std::string reply_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// One request/answer: "" when nothing answered within ~3 s (refused, dropped, timed out). The
// client socket is made in `netns` (the caller's when empty).
std::string tcp_request(const std::string& ip, uint16_t port, const std::string& netns = "");
std::string udp_request(const std::string& ip, uint16_t port, const std::string& netns = "");

// Whether a program in the caller's namespace could bind ip:port (SO_REUSEADDR, as most do).
bool can_bind(const std::string& ip, uint16_t port, int type);

}  // namespace berth::engine::testing
