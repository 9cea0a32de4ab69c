#include "engine/api/deferred_trim.hpp"

#include <malloc.h>

namespace berth::engine::api {

DeferredTrim::DeferredTrim(std::chrono::milliseconds delay)
    : delay_(delay), thread_([this] { run(); }) {}

DeferredTrim::~DeferredTrim() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void DeferredTrim::idle() {
  {
    std::lock_guard lock(mutex_);
    due_ = Clock::now() + delay_;
  }
  changed_.notify_all();
}

void DeferredTrim::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!due_) {
      changed_.wait(lock);
      continue;
    }
    if (Clock::now() < *due_) {
      // Woken early by a newer idle() (a later due time) or by the destructor: look again.
      changed_.wait_until(lock, *due_);
      continue;
    }
    due_.reset();
    lock.unlock();
    ::malloc_trim(0);
    lock.lock();
  }
}

}  // namespace berth::engine::api
