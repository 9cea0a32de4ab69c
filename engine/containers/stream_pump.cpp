#include "engine/containers/stream_pump.hpp"

#include <sys/socket.h>

#include <mutex>
#include <set>
#include <thread>

#include "common/log.hpp"

namespace berth::engine {

namespace {

std::mutex pumps_mutex;
std::set<int> pumped_fds;  // the process side of every running pump
bool pumps_interrupted = false;

// Registers the pump's process stream for interrupt_stream_pumps().
class PumpRegistration {
 public:
  explicit PumpRegistration(int fd) : fd_(fd) {
    std::lock_guard lock(pumps_mutex);
    if (pumps_interrupted) {
      ::shutdown(fd_, SHUT_RDWR);
      return;
    }
    pumped_fds.insert(fd_);
  }
  ~PumpRegistration() {
    std::lock_guard lock(pumps_mutex);
    pumped_fds.erase(fd_);
  }
  PumpRegistration(const PumpRegistration&) = delete;
  PumpRegistration& operator=(const PumpRegistration&) = delete;

 private:
  int fd_;
};

}  // namespace

void interrupt_stream_pumps() {
  std::lock_guard lock(pumps_mutex);
  pumps_interrupted = true;
  for (int fd : pumped_fds) ::shutdown(fd, SHUT_RDWR);
}

bool stream_pumps_interrupted() {
  std::lock_guard lock(pumps_mutex);
  return pumps_interrupted;
}

void pump_streams(Stream& client, Stream& process, bool forward_stdin) {
  PumpRegistration registration(process.native_fd());
  std::thread input;
  if (forward_stdin) {
    input = std::thread([&] {
      try {
        char buf[32 * 1024];
        while (size_t n = client.read_some(buf, sizeof buf)) process.write_all(buf, n);
      } catch (const std::exception&) {
        // The client went away or the process's input closed: either way stdin is done.
      }
      try {
        process.shutdown_write();
      } catch (const std::exception&) {
      }
    });
  }
  try {
    char buf[32 * 1024];
    while (size_t n = process.read_some(buf, sizeof buf)) client.write_all(buf, n);
  } catch (const std::exception& ex) {
    log::debug("attached stream ended", {{"error", ex.what()}});
  }
  if (input.joinable()) {
    ::shutdown(client.native_fd(), SHUT_RD);  // wakes the input thread's read
    input.join();
  }
}

}  // namespace berth::engine
