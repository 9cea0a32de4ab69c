#pragma once
// Fixture for the berth-shim tests: busybox containers with real runc, launched through ShimClient
// as berthd launches them. Everything a test creates lives under one temp dir and is removed —
// containers deleted, shims killed — by the destructor, also when a check fails.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/stream.hpp"
#include "engine/containers/oci_spec.hpp"
#include "engine/containers/runtime.hpp"
#include "engine/containers/shim_client.hpp"

namespace berth::engine::shimtest {

struct TestContainer {
  std::string id, bundle, state_dir, log_path;
  OciSpecInput input;
  ShimLaunch launch;
};

class ShimEnv {
 public:
  ShimEnv();
  ~ShimEnv();
  ShimEnv(const ShimEnv&) = delete;
  ShimEnv& operator=(const ShimEnv&) = delete;

  // The shim's pid from its state dir (0 when it has not written one).
  static int shim_pid(const std::string& state_dir);

  Runtime runtime() const { return Runtime(runc_, runc_root_); }
  const std::string& dir() const { return dir_; }

  // Writes the bundle (config.json from make_oci_spec) and returns the matching ShimLaunch.
  TestContainer make(const std::string& name, nlohmann::json config,
                     nlohmann::json host_config = nlohmann::json::object());
  // An exec of `exec_config` in `c`, with its shim state in `state_dir`.
  ShimLaunch exec_launch(const TestContainer& c, const std::string& state_dir,
                         const nlohmann::json& exec_config);

 private:
  std::string dir_, suffix_, rootfs_, runc_root_;
  RuntimeInfo runc_;
  std::vector<std::string> ids_, state_dirs_;
  int exec_count_ = 0;
};

// Reads until the shim closes the stream (20 s inactivity bound).
std::string read_to_end(Stream& stream);

struct Output {
  std::string out, err;
};
// Splits a stdcopy stream into stdout and stderr.
Output demux(const std::string& raw);

struct LogLine {
  std::string stream, text;
};
std::vector<LogLine> log_lines(const std::string& path);

// wait() bounded at 20 s; fails the test when the process has not exited by then.
ShimExit must_wait(ShimClient& shim);

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace berth::engine::shimtest
