#include "engine_shim_support.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "common/atomic_file.hpp"
#include "common/stdcopy.hpp"
#include "common/subprocess.hpp"
#include "engine/containers/json_log.hpp"

namespace berth::engine::shimtest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

void must_run(const std::vector<std::string>& argv) {
  auto result = run_capture(argv, {}, 60s);
  INFO(argv.front() << ": " << result.stderr_data);
  REQUIRE(result.status.success());
}

void kill_shim(const std::string& state_dir) {
  const int pid = ShimEnv::shim_pid(state_dir);
  if (pid <= 0) return;
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  comm >> name;
  if (name == "berth-shim") ::kill(pid, SIGKILL);  // only a shim this test started
}

}  // namespace

ShimEnv::ShimEnv() {
  REQUIRE(::getuid() == 0);
  std::string pattern = "/tmp/berth-shimtest-XXXXXX";
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  dir_ = pattern;
  try {
    suffix_ = dir_.substr(dir_.size() - 6);
    for (const auto& r : detect_runtimes()) {
      if (r.name == "runc") runc_ = r;
    }
    REQUIRE(runc_.usable);
    runc_root_ = dir_ + "/runc";
    ensure_directory(runc_root_, 0700);
    // The busybox image is a docker-archive; its one layer is the rootfs.
    const std::string image = dir_ + "/image";
    ensure_directory(image);
    must_run({"tar", "-xf", std::string(BERTH_BUILD_DIR) + "/images/busybox.tar", "-C", image});
    auto manifest = json::parse(read_file(image + "/manifest.json"));
    rootfs_ = dir_ + "/rootfs";
    ensure_directory(rootfs_);
    must_run(
        {"tar", "-xf", image + "/" + manifest[0]["Layers"][0].get<std::string>(), "-C", rootfs_});
    write_file_atomic(dir_ + "/hostname", "shimtest\n");
    write_file_atomic(dir_ + "/hosts", "127.0.0.1 localhost shimtest\n");
    write_file_atomic(dir_ + "/resolv.conf", "nameserver 127.0.0.1\n");
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

ShimEnv::~ShimEnv() {
  // Containers first (their shims then see the exit and leave), then any shim still around.
  for (const auto& id : ids_) {
    try {
      run_capture({runc_.path, "--root", runc_root_, "delete", "--force", id}, {}, 30s);
    } catch (const std::exception&) {
    }
  }
  for (const auto& state_dir : state_dirs_) kill_shim(state_dir);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

int ShimEnv::shim_pid(const std::string& state_dir) {
  try {
    return std::stoi(read_file(state_dir + "/shim.pid"));
  } catch (const std::exception&) {
    return 0;
  }
}

TestContainer ShimEnv::make(const std::string& name, json config, json host_config) {
  TestContainer c;
  c.id = "berth-shimtest-" + suffix_ + "-" + name;
  c.bundle = dir_ + "/" + name + "/bundle";
  c.state_dir = dir_ + "/" + name + "/shim";
  c.log_path = dir_ + "/" + name + "/" + name + "-json.log";
  ensure_directory(c.bundle);
  c.input.config = std::move(config);
  c.input.host_config = std::move(host_config);
  c.input.rootfs = rootfs_;
  c.input.hostname = "shimtest";
  c.input.hostname_file = dir_ + "/hostname";
  c.input.hosts_file = dir_ + "/hosts";
  c.input.resolv_conf_file = dir_ + "/resolv.conf";
  c.input.network_namespace = "";  // a new, empty network namespace
  c.input.cgroups_path = "/" + c.id;
  c.input.passwd_path = rootfs_ + "/etc/passwd";
  c.input.group_path = rootfs_ + "/etc/group";
  write_file_atomic(c.bundle + "/config.json", make_oci_spec(c.input).dump());

  c.launch.shim_path = std::string(BERTH_BUILD_DIR) + "/bin/berth-shim";
  c.launch.id = c.id;
  c.launch.state_dir = c.state_dir;
  c.launch.runtime_path = runc_.path;
  c.launch.runtime_root = runc_root_;
  c.launch.bundle = c.bundle;
  c.launch.tty = c.input.config.value("Tty", false);
  c.launch.open_stdin = c.input.config.value("OpenStdin", false);
  c.launch.stdin_once = c.input.config.value("StdinOnce", false);
  c.launch.log_path = c.log_path;
  ids_.push_back(c.id);
  state_dirs_.push_back(c.state_dir);
  return c;
}

ShimLaunch ShimEnv::exec_launch(const TestContainer& c, const std::string& state_dir,
                                const json& exec_config) {
  ensure_directory(state_dir);
  const std::string process_file = state_dir + "/../process.json";
  write_file_atomic(process_file, make_exec_process(exec_config, c.input).dump());
  ShimLaunch launch = c.launch;
  launch.id = "exec-" + std::to_string(++exec_count_);
  launch.state_dir = state_dir;
  launch.bundle.clear();
  launch.exec_container_id = c.id;
  launch.exec_process_file = process_file;
  launch.tty = exec_config.value("Tty", false);
  launch.open_stdin = exec_config.value("AttachStdin", false);
  launch.stdin_once = true;
  launch.log_path.clear();
  state_dirs_.push_back(state_dir);
  return launch;
}

std::string read_to_end(Stream& stream) {
  stream.set_io_timeout(20s);
  std::string out;
  char buf[4096];
  while (size_t n = stream.read_some(buf, sizeof buf)) out.append(buf, n);
  return out;
}

Output demux(const std::string& raw) {
  Output o;
  FrameDecoder decoder([&](StreamType type, std::string_view payload) {
    (type == StreamType::Stderr ? o.err : o.out).append(payload);
  });
  decoder.feed(raw);
  CHECK(decoder.at_frame_boundary());
  return o;
}

std::vector<LogLine> log_lines(const std::string& path) {
  std::vector<LogLine> lines;
  read_json_log(
      path, {},
      [&](std::string_view s, std::string_view t) {
        lines.push_back({std::string(s), std::string(t)});
      },
      [] { return false; });
  return lines;
}

ShimExit must_wait(ShimClient& shim) {
  auto exit = shim.wait(std::chrono::milliseconds(20000));
  REQUIRE(exit.has_value());
  return *exit;
}

}  // namespace berth::engine::shimtest
