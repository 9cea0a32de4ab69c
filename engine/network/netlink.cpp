#include "engine/network/netlink.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {
namespace {

// Big enough for any answer to the requests below (a link message without statistics is ~1.5 KiB).
constexpr size_t kBufferSize = 32768;

struct Request {
  std::vector<char> buffer = std::vector<char>(kBufferSize);
  nlmsghdr* header;

  Request(uint16_t type, uint16_t flags) {
    header = mnl_nlmsg_put_header(buffer.data());
    header->nlmsg_type = type;
    header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  }
  template <typename T>
  T* extra_header() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(header, sizeof(T)));
  }
};

ifinfomsg* put_link_header(Request& request, int index = 0) {
  auto* info = request.extra_header<ifinfomsg>();
  info->ifi_family = AF_UNSPEC;
  info->ifi_index = index;
  return info;
}

void put_ipv4(nlmsghdr* header, uint16_t type, uint32_t address) {
  mnl_attr_put_u32(header, type, htonl(address));
}

int parse_link_index(const nlmsghdr* header, void* data) {
  if (header->nlmsg_type == RTM_NEWLINK) {
    auto* info = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(header));
    *static_cast<int*>(data) = info->ifi_index;
  }
  return MNL_CB_OK;
}

}  // namespace

void Netlink::Deleter::operator()(mnl_socket* socket) const noexcept {
  mnl_socket_close(socket);
}

Netlink::Netlink() {
  // SOCK_CLOEXEC: runtimes and shims spawned later must not inherit the engine's netlink socket.
  socket_.reset(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!socket_) throw_errno("open rtnetlink socket");
  if (mnl_socket_bind(socket_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    throw_errno("bind rtnetlink socket");
  port_id_ = mnl_socket_get_portid(socket_.get());
}

Netlink::~Netlink() = default;
Netlink::Netlink(Netlink&&) noexcept = default;
Netlink& Netlink::operator=(Netlink&&) noexcept = default;

int Netlink::transact(nlmsghdr* request, int* found_index) {
  request->nlmsg_seq = ++sequence_;
  if (mnl_socket_sendto(socket_.get(), request, request->nlmsg_len) < 0) {
    throw_errno("send rtnetlink request");
  }
  std::vector<char> answer(kBufferSize);
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(socket_.get(), answer.data(), answer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("receive rtnetlink answer");
    }
    int rc = mnl_cb_run(answer.data(), n, request->nlmsg_seq, port_id_,
                        found_index ? parse_link_index : nullptr, found_index);
    if (rc == MNL_CB_ERROR) return errno;
    if (rc == MNL_CB_STOP) return 0;
  }
}

std::optional<int> Netlink::link_index(const std::string& name) {
  Request request(RTM_GETLINK, 0);
  put_link_header(request);
  mnl_attr_put_strz(request.header, IFLA_IFNAME, name.c_str());
  // Without statistics and VF lists the answer stays small.
  mnl_attr_put_u32(request.header, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  int index = 0;
  int err = transact(request.header, &index);
  if (err == ENODEV) return std::nullopt;
  if (err != 0) throw SystemError("look up interface " + name, err);
  return index;
}

bool Netlink::create_bridge(const std::string& name) {
  Request request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  auto* info = put_link_header(request);
  info->ifi_flags = IFF_UP;
  info->ifi_change = IFF_UP;
  mnl_attr_put_strz(request.header, IFLA_IFNAME, name.c_str());
  nlattr* link_info = mnl_attr_nest_start(request.header, IFLA_LINKINFO);
  mnl_attr_put_strz(request.header, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(request.header, link_info);
  int err = transact(request.header);
  if (err == EEXIST) return false;
  if (err != 0) throw SystemError("create bridge " + name, err);
  return true;
}

void Netlink::set_link_up(int index) {
  Request request(RTM_NEWLINK, 0);
  auto* info = put_link_header(request, index);
  info->ifi_flags = IFF_UP;
  info->ifi_change = IFF_UP;
  if (int err = transact(request.header)) {
    throw SystemError("set interface " + std::to_string(index) + " up", err);
  }
}

bool Netlink::set_link_down(const std::string& name) {
  Request request(RTM_NEWLINK, 0);
  auto* info = put_link_header(request);
  info->ifi_change = IFF_UP;
  mnl_attr_put_strz(request.header, IFLA_IFNAME, name.c_str());
  int err = transact(request.header);
  if (err == ENODEV) return false;
  if (err != 0) throw SystemError("set interface " + name + " down", err);
  return true;
}

void Netlink::add_address(int index, uint32_t address, int prefix) {
  Request request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* info = request.extra_header<ifaddrmsg>();
  info->ifa_family = AF_INET;
  info->ifa_prefixlen = static_cast<unsigned char>(prefix);
  info->ifa_scope = RT_SCOPE_UNIVERSE;
  info->ifa_index = static_cast<unsigned>(index);
  put_ipv4(request.header, IFA_LOCAL, address);
  put_ipv4(request.header, IFA_ADDRESS, address);
  if (prefix < 31) {
    // `ip addr` shows "brd" as docker's interfaces do; without it broadcasts would go nowhere.
    uint32_t host_mask = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
    put_ipv4(request.header, IFA_BROADCAST, address | host_mask);
  }
  int err = transact(request.header);
  if (err != 0 && err != EEXIST) {
    throw SystemError("add address to interface " + std::to_string(index), err);
  }
}

void Netlink::create_veth(const std::string& host_name, int master_index,
                          const std::string& peer_name, int peer_netns_fd,
                          const MacAddress& peer_mac) {
  Request request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  auto* info = put_link_header(request);
  info->ifi_flags = IFF_UP;
  info->ifi_change = IFF_UP;
  nlmsghdr* h = request.header;
  mnl_attr_put_strz(h, IFLA_IFNAME, host_name.c_str());
  if (master_index > 0) mnl_attr_put_u32(h, IFLA_MASTER, static_cast<uint32_t>(master_index));
  nlattr* link_info = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
  nlattr* data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
  nlattr* peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
  // The peer is described by a whole link message: an ifinfomsg followed by its attributes. Naming
  // it eth0 and placing it in the container's namespace here saves a move and a rename.
  auto* peer_info = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload_tail(h));
  h->nlmsg_len += MNL_ALIGN(sizeof(ifinfomsg));
  std::memset(peer_info, 0, sizeof(ifinfomsg));
  // No IFF_UP for the peer here: the kernel opens the peer before pairing it and veth_open then
  // fails with ENOTCONN. The caller sets it up from inside the namespace.
  peer_info->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(h, IFLA_IFNAME, peer_name.c_str());
  mnl_attr_put_u32(h, IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  mnl_attr_put(h, IFLA_ADDRESS, peer_mac.size(), peer_mac.data());
  mnl_attr_nest_end(h, peer);
  mnl_attr_nest_end(h, data);
  mnl_attr_nest_end(h, link_info);
  if (int err = transact(h)) throw SystemError("create veth pair " + host_name, err);
}

void Netlink::set_hairpin(int index) {
  Request request(RTM_SETLINK, 0);
  auto* info = put_link_header(request, index);
  info->ifi_family = AF_BRIDGE;  // bridge port attributes are the bridge family's
  nlattr* protinfo = mnl_attr_nest_start(request.header, IFLA_PROTINFO);
  mnl_attr_put_u8(request.header, IFLA_BRPORT_MODE, 1);
  mnl_attr_nest_end(request.header, protinfo);
  if (int err = transact(request.header)) {
    throw SystemError("set hairpin mode on interface " + std::to_string(index), err);
  }
}

bool Netlink::delete_link(const std::string& name) {
  Request request(RTM_DELLINK, 0);
  put_link_header(request);
  mnl_attr_put_strz(request.header, IFLA_IFNAME, name.c_str());
  int err = transact(request.header);
  if (err == ENODEV) return false;
  if (err != 0) throw SystemError("delete interface " + name, err);
  return true;
}

void Netlink::add_default_route(uint32_t gateway, int index) {
  Request request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  auto* route = request.extra_header<rtmsg>();
  route->rtm_family = AF_INET;
  route->rtm_table = RT_TABLE_MAIN;
  route->rtm_protocol = RTPROT_BOOT;
  route->rtm_scope = RT_SCOPE_UNIVERSE;
  route->rtm_type = RTN_UNICAST;
  put_ipv4(request.header, RTA_GATEWAY, gateway);
  mnl_attr_put_u32(request.header, RTA_OIF, static_cast<uint32_t>(index));
  int err = transact(request.header);
  if (err != 0 && err != EEXIST) throw SystemError("add default route", err);
}

}  // namespace berth::engine
