#pragma once
// `create` and friends take tens of seconds under emulation; printing each step as it starts with
// the time spent so far tells the user where the time goes and where it stopped when it fails.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <ostream>
#include <string>

namespace berth::cli {

class StepPrinter {
 public:
  explicit StepPrinter(std::ostream& out) : out_(out), start_(std::chrono::steady_clock::now()) {}

  void step(const std::string& text) {
    std::lock_guard lock(mutex_);
    out_ << "[" << elapsed_text() << "] " << text << "\n" << std::flush;
  }
  // "12.3s"
  std::string elapsed_text() const {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start_)
                  .count();
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%5.1fs", static_cast<double>(ms) / 1000.0);
    return buffer;
  }

 private:
  std::ostream& out_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
};

}  // namespace berth::cli
