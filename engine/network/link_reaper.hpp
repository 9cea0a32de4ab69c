#pragma once
// Deletes network interfaces in the background. Deleting a veth costs the kernel several RCU grace
// periods (measured: 13-25 ms), which would otherwise sit on every container stop. Callers set the
// interface down first, which is cheap and makes the remaining moments harmless: a down port is
// out of the bridge's forwarding and its learned MAC addresses are flushed, so a new container
// reusing the address (and so the MAC) is never confused with the old one.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "engine/network/netlink.hpp"

namespace berth::engine {

class LinkReaper {
 public:
  // `netlink` must act in the namespace the interfaces live in.
  explicit LinkReaper(Netlink netlink);
  // Finishes the deletions still queued.
  ~LinkReaper();
  LinkReaper(const LinkReaper&) = delete;
  LinkReaper& operator=(const LinkReaper&) = delete;

  // Queues `name` for deletion; an interface that is gone by then is fine.
  void remove(std::string name);
  // Waits until everything queued so far is deleted (tests, shutdown).
  void drain();

 private:
  void run();

  Netlink netlink_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<std::string> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::engine
