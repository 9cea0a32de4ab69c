#include "engine/network/link_reaper.hpp"

#include "common/log.hpp"

namespace berth::engine {

LinkReaper::LinkReaper(Netlink netlink) : netlink_(std::move(netlink)) {
  thread_ = std::thread([this] { run(); });
}

LinkReaper::~LinkReaper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LinkReaper::remove(std::string name) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(name));
  }
  wake_.notify_one();
}

void LinkReaper::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void LinkReaper::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to do
    std::string name = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      netlink_.delete_link(name);
    } catch (const std::exception& e) {
      log::warn("cannot delete network interface", {{"interface", name}, {"error", e.what()}});
    }
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace berth::engine
