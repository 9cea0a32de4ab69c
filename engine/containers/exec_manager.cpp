#include "engine/containers/exec_manager.hpp"

#include <random>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/stdcopy.hpp"
#include "engine/containers/cgroup_attach_warmer.hpp"
#include "engine/containers/container_manager.hpp"
#include "engine/containers/oci_spec.hpp"
#include "engine/containers/stream_pump.hpp"
#include "engine/events.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace berth::engine {

namespace {
std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string s(n, '0');
  for (auto& ch : s) ch = hex[rng() & 15];
  return s;
}

// The exec's command as dockerd's events name it: the program, a space, then its arguments
// joined by spaces ("true " for a command without arguments).
std::string command_line(const json& config) {
  const json cmd = config.value("Cmd", json::array());
  std::string out;
  for (size_t i = 0; i < cmd.size(); ++i) {
    if (i > 1) out += ' ';
    out += cmd[i].get<std::string>();
    if (i == 0) out += ' ';
  }
  return out;
}

// The bytes that end a TTY exec session's input without closing the process's stdin, as dockerd
// watches them: the exec's DetachKeys, else ctrl-p,ctrl-q; none without a TTY.
std::string detach_keys(const json& exec_config) {
  if (!exec_config.value("Tty", false)) return "";
  return session_detach_keys(exec_config.value("DetachKeys", ""));
}

}  // namespace

ExecManager::ExecManager(ContainerManager& containers, EventBus& events)
    : containers_(containers), events_(events) {}

std::shared_ptr<ExecManager::Exec> ExecManager::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = execs_.find(id);
  if (it == execs_.end()) throw NotFound("No such exec instance: " + id);
  return it->second;
}

std::string ExecManager::create(const std::string& container_ref, const json& config) {
  const Container c = containers_.get(container_ref);
  // dockerd's words: the container as the client named it when paused, by id when not running.
  if (c.state.status == "paused")
    throw Conflict("Container " + container_ref + " is paused, unpause the container before exec");
  if (!c.state.running() || c.state.status == "restarting")
    throw Conflict("Container " + c.id + " is not running");
  const json cmd = config.value("Cmd", json());
  if (!cmd.is_array() || cmd.empty()) throw InvalidArgument("No exec command specified");
  for (const auto& a : cmd)
    if (!a.is_string()) throw InvalidArgument("exec command must be a list of strings");
  if (const std::string keys = config.value("DetachKeys", ""); !keys.empty()) {
    try {
      detach_key_bytes(keys);
    } catch (const InvalidArgument&) {
      throw InvalidArgument("Invalid escape keys (" + keys + ") provided");  // dockerd's words
    }
  }
  auto exec = std::make_shared<Exec>();
  exec->id = random_hex(64);
  exec->container_id = c.id;
  exec->config = config;
  // The container's user, unless the exec names one, as dockerd records it.
  if (get_string(config, "User").empty()) exec->config["User"] = get_string(c.config, "User");
  {
    std::lock_guard lock(mutex_);
    execs_[exec->id] = exec;
  }
  events_.publish({"container", "exec_create: " + command_line(config), c.id,
                   event_attributes(c, {{"execID", exec->id}})});
  return exec->id;
}

void ExecManager::start(const std::string& exec_id, bool detach, Stream* client) {
  auto exec = find(exec_id);
  const Container c = containers_.get(exec->container_id);
  {
    std::lock_guard lock(mutex_);
    if (exec->started) throw Conflict("Error: Exec command " + exec_id + " has already run");
    exec->started = true;
  }
  if (!c.state.running()) throw Conflict("container " + c.id + " is not running");
  const std::string dir = containers_.bundle_dir(c.id) + "/exec/" + exec->id;
  ensure_directory(dir, 0700);
  OciSpecInput in;
  in.config = c.config;
  in.host_config = c.host_config;
  in.rootfs = containers_.rootfs_dir(c.id);
  in.passwd_path = in.rootfs + "/etc/passwd";
  in.group_path = in.rootfs + "/etc/group";
  try {
    in.link_env = containers_.link_env(c);
  } catch (const Error& e) {
    fail_start(*exec, e.what(), detach ? nullptr : client);  // a linked container went away
    return;
  }
  // dockerd leaves a relative `exec -w` to the runtime, whose check of the process says this.
  const std::string cwd = get_string(exec->config, "WorkingDir");
  if (!cwd.empty() && cwd.front() != '/') {
    fail_start(*exec, "OCI runtime exec failed: exec failed: Cwd must be an absolute path: unknown",
               detach ? nullptr : client);
    return;
  }
  try {
    write_file_replace(dir + "/process.json", make_exec_process(exec->config, in).dump(), 0600);
  } catch (const InvalidArgument& e) {
    // The user or group names nothing in the container (dockerd resolves it itself, too).
    fail_start(*exec, e.what(), detach ? nullptr : client);
    return;
  }

  ShimLaunch launch;
  launch.shim_path = containers_.paths().shim_path;
  launch.id = exec->id;
  launch.state_dir = dir + "/shim";
  launch.runtime_path = containers_.runtime().info().path;
  launch.runtime_root = containers_.runtime().state_root();
  launch.exec_container_id = c.id;
  launch.exec_process_file = dir + "/process.json";
  launch.tty = exec->config.value("Tty", false);
  launch.open_stdin = exec->config.value("AttachStdin", false);
  launch.stdin_once = true;
  std::optional<ShimClient> shim;
  std::unique_ptr<Stream> shim_stream;
  try {
    {
      const CgroupAttachWarmer warmer;  // until the runtime has put the process in its cgroups
      shim = ShimClient::launch(launch);
    }
    if (!detach && client)
      shim_stream =
          shim->attach(launch.open_stdin, exec->config.value("AttachStdout", true),
                       exec->config.value("AttachStderr", true), detach_keys(exec->config));
    shim->start();
  } catch (const std::exception& e) {
    fail_start(*exec, std::string("OCI runtime exec failed: ") + e.what() + ": unknown",
               detach ? nullptr : client);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    exec->pid = shim->pid();
    exec->shim = std::move(shim);
    exec->running = true;
  }
  events_.publish({"container", "exec_start: " + command_line(exec->config), c.id,
                   event_attributes(c, {{"execID", exec->id}})});
  std::thread([this, exec] { watch(exec); }).detach();
  if (!shim_stream) return;

  pump_streams(*client, *shim_stream, launch.open_stdin);
  if (stream_pumps_interrupted()) return;  // berthd is stopping; the process runs on
  // The client reads the exit code right after the stream ends: have it recorded by then.
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, 5s, [&] { return !exec->running; });
}

// dockerd's answer when an exec cannot start (command not found, bad user or working directory):
// exit code 126 for `docker exec` to report, and the message, in the stream an attached client
// already holds or as the error of a detached start.
void ExecManager::fail_start(Exec& exec, const std::string& message, Stream* client) {
  {
    std::lock_guard lock(mutex_);
    exec.exit_code = kStartFailedExitCode;
    exec.running = false;
  }
  changed_.notify_all();
  if (client == nullptr) throw Error(message);
  const bool tty = exec.config.value("Tty", false);
  try {
    client->write_all(tty ? message + "\r\n" : encode_frame(StreamType::Stdout, message + "\r\n"));
  } catch (const std::exception&) {
    // The client is gone; the exit code stays for anyone who inspects the exec.
  }
}

void ExecManager::watch(std::shared_ptr<Exec> exec) {
  std::optional<ShimExit> exit;
  while (!exit) {
    try {
      exit = exec->shim->wait(1000ms);
    } catch (const std::exception&) {
      exit = ShimClient::read_exit(exec->shim->state_dir());
      if (!exit) exit = ShimExit{126, "", false, "exec process lost"};
    }
  }
  {
    std::lock_guard lock(mutex_);
    exec->running = false;
    exec->exit_code = exit->exit_code;  // the pid stays, as dockerd's inspect keeps it
  }
  changed_.notify_all();
  try {
    const Container c = containers_.get(exec->container_id);
    events_.publish({"container", "exec_die", c.id,
                     event_attributes(c, {{"execID", exec->id},
                                          {"exitCode", std::to_string(exit->exit_code)}})});
  } catch (const NotFound&) {
  }
}

void ExecManager::resize(const std::string& exec_id, int height, int width) {
  auto exec = find(exec_id);
  std::lock_guard lock(mutex_);
  if (!exec->shim || !exec->running) throw Conflict("exec " + exec_id + " is not running");
  exec->shim->resize(height, width);
}

bool ExecManager::tty(const std::string& exec_id) const {
  return find(exec_id)->config.value("Tty", false);
}

json ExecManager::inspect(const std::string& exec_id) const {
  auto exec = find(exec_id);
  std::lock_guard lock(mutex_);
  const json& cfg = exec->config;
  const json cmd = cfg.value("Cmd", json::array());
  json args = json::array();
  for (size_t i = 1; i < cmd.size(); ++i) args.push_back(cmd[i]);
  return {{"ID", exec->id},
          {"Running", exec->running},
          {"ExitCode", exec->exit_code ? json(*exec->exit_code) : json(nullptr)},
          {"ProcessConfig",
           {{"tty", cfg.value("Tty", false)},
            {"entrypoint", cmd.empty() ? "" : cmd[0].get<std::string>()},
            {"arguments", args},
            {"privileged", cfg.value("Privileged", false)},
            {"user", cfg.value("User", "")}}},
          {"OpenStdin", cfg.value("AttachStdin", false)},
          {"OpenStderr", cfg.value("AttachStderr", false)},
          {"OpenStdout", cfg.value("AttachStdout", false)},
          {"CanRemove", false},
          {"ContainerID", exec->container_id},
          {"DetachKeys", cfg.value("DetachKeys", "")},
          {"Pid", exec->pid}};
}

}  // namespace berth::engine
