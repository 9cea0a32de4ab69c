#include "engine/containers/stream_pump.hpp"

#include <sys/socket.h>

#include <thread>

#include "common/log.hpp"

namespace berth::engine {

void pump_streams(Stream& client, Stream& process, bool forward_stdin) {
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
