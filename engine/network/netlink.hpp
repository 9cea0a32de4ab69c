#pragma once
// The few rtnetlink requests the bridge driver needs, spoken directly over a NETLINK_ROUTE socket
// (libmnl) instead of spawning `ip`: a container start makes ~8 of these, and each `ip` process
// would cost milliseconds where the request costs microseconds.
//
// A netlink socket acts in the network namespace of the thread that opened it, forever: one opened
// in the engine's namespace configures the host side, one opened inside a fresh container
// namespace configures the container side, whichever thread later uses them.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

struct mnl_socket;
struct nlmsghdr;

namespace berth::engine {

using MacAddress = std::array<uint8_t, 6>;

class Netlink {
 public:
  // Opens a socket in the calling thread's network namespace. Throws SystemError.
  Netlink();
  ~Netlink();
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;

  // The interface index of `name`, or nullopt when there is no such interface.
  std::optional<int> link_index(const std::string& name);
  // Creates an up bridge; an existing interface of that name is left as it is (returns false).
  bool create_bridge(const std::string& name);
  void set_link_up(int index);
  // Sets `name` down; false when it does not exist. Cheap, unlike deleting it (see LinkReaper).
  bool set_link_down(const std::string& name);
  // Adds `address`/`prefix` (host byte order); an address already present is fine.
  void add_address(int index, uint32_t address, int prefix);
  // Creates the pair `host_name` (enslaved to `master_index` unless 0, up) and `peer_name` (moved
  // into the namespace `peer_netns_fd` in the same request, with `peer_mac`, still down). Throws
  // SystemError; its code() is EEXIST when `host_name` is taken.
  void create_veth(const std::string& host_name, int master_index, const std::string& peer_name,
                   int peer_netns_fd, const MacAddress& peer_mac);
  // Turns on hairpin mode for bridge port `index`: frames may leave by the port they came in on.
  void set_hairpin(int index);
  // Deletes the interface; false when it did not exist.
  bool delete_link(const std::string& name);
  // default via `gateway` dev `index` (host byte order).
  void add_default_route(uint32_t gateway, int index);

 private:
  struct Deleter {
    void operator()(mnl_socket* socket) const noexcept;
  };
  // Sends the request with NLM_F_ACK and waits for the answer: 0, or the kernel's errno.
  int transact(nlmsghdr* request, int* found_index = nullptr);

  std::unique_ptr<mnl_socket, Deleter> socket_;
  unsigned port_id_ = 0;
  uint32_t sequence_ = 0;
};

}  // namespace berth::engine
