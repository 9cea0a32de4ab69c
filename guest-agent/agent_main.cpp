// berth-agent: the guest side of a berth machine. Answers the host over the QEMU guest agent
// virtio-serial port and keeps berthd running.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "common/log.hpp"
#include "guest-agent/agent_channel.hpp"
#include "guest-agent/agent_commands.hpp"
#include "guest-agent/engine_supervisor.hpp"
#include "guest-agent/system_actions.hpp"

namespace fs = std::filesystem;
using namespace berth;
using namespace berth::agent;

namespace {

// udev would make /dev/virtio-ports/NAME; the image has no udev, so look the port up by its name.
std::string find_port(const std::string& name) {
  const fs::path by_name = "/dev/virtio-ports/" + name;
  if (fs::exists(by_name)) return by_name.string();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/class/virtio-ports", ec)) {
    std::ifstream in(entry.path() / "name");
    std::string port_name;
    std::getline(in, port_name);
    const fs::path device = "/dev" / entry.path().filename();
    if (port_name == name && fs::exists(device)) return device.string();
  }
  return "";
}

UniqueFd open_channel(const std::string& device, const std::string& name) {
  bool logged = false;
  for (;;) {
    const std::string path = device.empty() ? find_port(name) : device;
    if (!path.empty()) {
      UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY));
      if (fd) {
        log::info("agent channel open", {{"device", path}});
        return fd;
      }
      if (errno != ENOENT) throw_errno("opening " + path);
    }
    if (!logged)
      log::info("waiting for the agent channel", {{"port", device.empty() ? name : device}});
    logged = true;
    ::usleep(100'000);
  }
}

int run(int argc, char** argv) {
  CLI::App app{"berth-agent: QEMU guest agent protocol server and berthd supervisor"};
  std::string device;
  std::string port_name = "org.qemu.guest_agent.0";
  bool no_engine = false;
  SupervisorOptions engine;
  std::string shutdown_program = "/sbin/berth-shutdown";
  std::string log_file;
  std::string log_level = "info";
  app.add_option("--device", device, "Channel device (default: the virtio port named --port-name)");
  app.add_option("--port-name", port_name, "virtio-serial port name")->capture_default_str();
  app.add_flag("--no-engine", no_engine, "Do not start or supervise berthd");
  app.add_option("--berthd", engine.binaries, "berthd binaries to try, first existing wins");
  app.add_option("--config-file", engine.config_file, "berthd configuration (daemon.json)")
      ->capture_default_str();
  app.add_option("--engine-log", engine.log_file, "berthd's output")->capture_default_str();
  app.add_option("--shutdown-program", shutdown_program, "Run with the mode by guest-shutdown")
      ->capture_default_str();
  app.add_option("--log-file", log_file, "Agent log (default: stderr)");
  app.add_option("--log-level", log_level, "debug, info, warn, error")->capture_default_str();
  app.set_version_flag("--version", BERTH_AGENT_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::set_level(log_level);
  if (!log_file.empty()) log::set_output_file(log_file);

  // Every thread started below inherits this mask; the signal thread takes them synchronously.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  UnsupervisedEngine no_supervision;
  std::unique_ptr<EngineSupervisor> supervisor;
  if (!no_engine) {
    supervisor = std::make_unique<EngineSupervisor>(engine);
    supervisor->start();
  }
  EngineControl& control = supervisor ? static_cast<EngineControl&>(*supervisor) : no_supervision;
  HostSystemActions system(shutdown_program);

  CommandTable commands;
  add_guest_commands(commands, system, control);
  add_berth_commands(commands, control, BERTH_AGENT_VERSION);
  add_protocol_commands(commands, BERTH_AGENT_VERSION);

  UniqueFd fd = open_channel(device, port_name);
  AgentProtocol protocol(commands);
  AgentChannel channel(fd.get(), protocol);

  std::atomic<bool> quitting = false;
  std::thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    log::info("agent stopping", {{"signal", sig}});
    quitting = true;
    channel.stop();
  }).detach();

  log::info("berth-agent serving", {{"version", BERTH_AGENT_VERSION}});
  while (!quitting) {
    if (channel.serve() == AgentChannel::End::Stopped) break;
    // virtio-serial keeps reporting hang-up while no host process holds the port (qemu-ga sleeps
    // the same 100 ms between looks).
    ::usleep(100'000);
  }
  supervisor.reset();  // stops berthd
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "berth-agent: %s\n", e.what());
    return 1;
  }
}
