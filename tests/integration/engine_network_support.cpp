#include "integration/engine_network_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "common/error.hpp"
#include "engine/network/netlink.hpp"

namespace berth::engine::testing {
namespace {

using namespace std::chrono_literals;

sockaddr_in make_address(const std::string& ip, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("bad test address " + ip);
  }
  return address;
}

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

std::string receive_all(int fd) {
  std::string out;
  char buffer[512];
  while (wait_readable(fd, 3000)) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

HostNetns::HostNetns() {
  original_.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original_) throw_errno("open own network namespace");
  char pattern[] = "/tmp/berth-nt-XXXXXX";
  if (!mkdtemp(pattern)) throw_errno("mkdtemp");
  dir_ = pattern;
  std::filesystem::create_directories(netns_dir());
  if (unshare(CLONE_NEWNET) != 0) {
    std::filesystem::remove_all(dir_);
    throw_errno("unshare network namespace");
  }
  try {
    Netlink().set_link_up(1);  // lo: tests talk to 127.0.0.1
  } catch (...) {
    setns(original_.get(), CLONE_NEWNET);
    std::filesystem::remove_all(dir_);
    throw;
  }
}

HostNetns::~HostNetns() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_, ec)) {
    umount2(entry.path().c_str(), MNT_DETACH);  // netns files; fails harmlessly for the rest
  }
  setns(original_.get(), CLONE_NEWNET);
  std::filesystem::remove_all(dir_, ec);
}

CaptureResult run(const std::vector<std::string>& argv, const std::string& netns) {
  std::vector<std::string> full;
  if (!netns.empty()) full = {"nsenter", "--net=" + netns, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_capture(full, {}, 10s);
}

UniqueFd socket_in(const std::string& netns, int type) {
  if (netns.empty()) {
    UniqueFd fd(socket(AF_INET, type | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket");
    return fd;
  }
  UniqueFd fd;
  int error = 0;
  std::thread([&] {
    UniqueFd ns(open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns || setns(ns.get(), CLONE_NEWNET) != 0) {
      error = errno;
      return;
    }
    fd.reset(socket(AF_INET, type | SOCK_CLOEXEC, 0));
    if (!fd) error = errno;
  }).join();
  if (error) throw_errno("socket in " + netns, error);
  return fd;
}

EchoServer::EchoServer(const std::string& netns, int type, uint16_t port, std::string reply)
    : socket_(socket_in(netns, type)), type_(type), reply_(std::move(reply)) {
  int one = 1;
  setsockopt(socket_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = make_address("0.0.0.0", port);
  if (bind(socket_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    throw_errno("bind test server to port " + std::to_string(port));
  }
  if (type == SOCK_STREAM && listen(socket_.get(), 16) != 0) throw_errno("listen");
  thread_ = std::thread([this] { serve(); });
}

EchoServer::~EchoServer() {
  stop_ = true;
  thread_.join();
}

void EchoServer::serve() {
  while (!stop_) {
    if (!wait_readable(socket_.get(), 50)) continue;
    sockaddr_in peer{};
    socklen_t peer_length = sizeof(peer);
    char buffer[512];
    char peer_ip[INET_ADDRSTRLEN];
    if (type_ == SOCK_DGRAM) {
      ssize_t n = recvfrom(socket_.get(), buffer, sizeof(buffer), 0,
                           reinterpret_cast<sockaddr*>(&peer), &peer_length);
      if (n < 0) continue;
      inet_ntop(AF_INET, &peer.sin_addr, peer_ip, sizeof(peer_ip));
      std::string answer =
          reply_ + std::string(buffer, static_cast<size_t>(n)) + " from " + peer_ip;
      sendto(socket_.get(), answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&peer),
             peer_length);
      continue;
    }
    UniqueFd connection(
        accept4(socket_.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length, SOCK_CLOEXEC));
    if (!connection) continue;
    inet_ntop(AF_INET, &peer.sin_addr, peer_ip, sizeof(peer_ip));
    std::string request;
    if (wait_readable(connection.get(), 2000)) {
      ssize_t n = recv(connection.get(), buffer, sizeof(buffer), 0);
      if (n > 0) request.assign(buffer, static_cast<size_t>(n));
    }
    std::string answer = reply_ + request + " from " + peer_ip;
    send(connection.get(), answer.data(), answer.size(), MSG_NOSIGNAL);
  }
}

std::string tcp_request(const std::string& ip, uint16_t port, const std::string& netns) {
  UniqueFd fd = socket_in(netns, SOCK_STREAM);
  fcntl(fd.get(), F_SETFL, O_NONBLOCK);
  sockaddr_in address = make_address(ip, port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 &&
      errno != EINPROGRESS) {
    return "";
  }
  pollfd p{fd.get(), POLLOUT, 0};
  if (poll(&p, 1, 3000) != 1) return "";
  int error = 0;
  socklen_t length = sizeof(error);
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) return "";
  send(fd.get(), "ping", 4, MSG_NOSIGNAL);
  return receive_all(fd.get());
}

std::string udp_request(const std::string& ip, uint16_t port, const std::string& netns) {
  UniqueFd fd = socket_in(netns, SOCK_DGRAM);
  sockaddr_in address = make_address(ip, port);
  // UDP may lose the first datagram while neighbours are resolved: try a few times.
  for (int attempt = 0; attempt < 3; ++attempt) {
    sendto(fd.get(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    if (wait_readable(fd.get(), 1000)) {
      char buffer[512];
      ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
      if (n > 0) return std::string(buffer, static_cast<size_t>(n));
    }
  }
  return "";
}

bool can_bind(const std::string& ip, uint16_t port, int type) {
  UniqueFd fd = socket_in("", type);
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = make_address(ip, port);
  return bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
}

}  // namespace berth::engine::testing
