#pragma once
// Gives malloc's free pages back to the system once the API has been idle for a while.
//
// Each connection has a thread, and each thread's allocations leave freed pages behind in malloc's
// arenas; an engine that sits idle for days should not keep its busiest moment's memory. Trimming
// the moment the last connection closes, though, runs between the requests of one `docker run` or
// right between two `docker ps` calls: the trim itself (it consolidates every arena) competes with
// the next request for the CPU, and that request faults the returned pages back in. So the trim
// waits until no connection has ended for `delay`.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace berth::engine::api {

class DeferredTrim {
 public:
  explicit DeferredTrim(std::chrono::milliseconds delay);
  ~DeferredTrim();
  DeferredTrim(const DeferredTrim&) = delete;
  DeferredTrim& operator=(const DeferredTrim&) = delete;

  // The server just became idle: trim after `delay`, unless this is called again before then.
  void idle();

 private:
  void run();

  using Clock = std::chrono::steady_clock;
  const std::chrono::milliseconds delay_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Clock::time_point> due_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::engine::api
