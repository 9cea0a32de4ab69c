#include "guest-agent/engine_supervisor.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "guest-agent/engine_probe.hpp"

namespace berth::agent {

namespace {

constexpr std::chrono::milliseconds kProbeTimeout{500};
constexpr std::chrono::milliseconds kStatusTimeout{1500};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The KEY=value lines of `path` (blank lines and # comments skipped); empty when it is missing.
std::map<std::string, std::string> read_env_file(const std::string& path) {
  std::map<std::string, std::string> env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) {
      log::warn("ignoring a line that is not KEY=value", {{"file", path}, {"line", line}});
      continue;
    }
    env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

}  // namespace

EngineSupervisor::EngineSupervisor(SupervisorOptions options)
    : options_(std::move(options)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_) throw_errno("eventfd for the engine supervisor");
}

EngineSupervisor::~EngineSupervisor() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake();
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EngineSupervisor::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  // berthd gets the parent-death signal of the thread that spawns it, so that thread is this
  // long-lived one: if the agent dies, berthd stops too and the respawned agent starts a fresh one.
  thread_ = std::thread([this] { run(); });
}

void EngineSupervisor::wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

std::string EngineSupervisor::binary() const {
  for (const auto& candidate : options_.binaries) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return options_.binaries.empty() ? std::string("berthd") : options_.binaries.back();
}

std::vector<std::string> EngineSupervisor::command_line() const {
  std::vector<std::string> argv = {binary()};
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  if (std::filesystem::exists(options_.config_file)) {
    argv.insert(argv.end(), {"--config-file", options_.config_file});
  } else {
    argv.insert(argv.end(), {"-H", "unix:///run/berth/berth.sock"});
  }
  return argv;
}

void EngineSupervisor::run() {
  std::unique_lock lock(mutex_);
  auto backoff = options_.initial_backoff;
  while (!quit_) {
    if (paused_) {
      changed_.wait(lock, [&] { return quit_ || !paused_; });
      continue;
    }
    const auto began = SteadyClock::now();
    supervise_one(lock);
    if (quit_) break;
    if (restart_requested_) {
      restart_requested_ = false;
      backoff = options_.initial_backoff;
      continue;
    }
    // (A clean exit within a second is no request to stop: that waits like a crash.)
    if (!stop_requested_ && last_exit_clean_ &&
        SteadyClock::now() - began >= std::chrono::seconds(1)) {
      log::info("berthd stopped cleanly; starting it again", {{"status", last_exit_}});
      backoff = options_.initial_backoff;
      continue;
    }
    if (!stop_requested_) {
      // It died on its own: restart, waiting longer each time unless it had been up a while.
      ++restarts_;
      if (SteadyClock::now() - began >= options_.healthy_after) backoff = options_.initial_backoff;
      last_delay_ = backoff;
      log::warn("berthd exited; restarting",
                {{"status", last_exit_}, {"in_ms", static_cast<long long>(backoff.count())}});
      changed_.wait_for(lock, backoff,
                        [&] { return quit_ || restart_requested_ || stop_requested_; });
      backoff = std::min(backoff * 2, options_.max_backoff);
      if (restart_requested_) {
        restart_requested_ = false;
        backoff = options_.initial_backoff;
      }
    }
    if (stop_requested_) {
      stop_requested_ = false;
      paused_ = true;
      changed_.notify_all();
    }
  }
  changed_.notify_all();
}

void EngineSupervisor::supervise_one(std::unique_lock<std::mutex>& lock) {
  const auto argv = command_line();
  const std::string config =
      std::filesystem::exists(options_.config_file) ? options_.config_file : "";
  socket_ = options_.socket_override ? *options_.socket_override : engine_socket_for_config(config);
  current_binary_ = argv.front();
  current_config_ = config;
  const std::string socket = socket_;

  lock.unlock();
  Process process;
  std::string spawn_error;
  try {
    UniqueFd log_fd;
    if (!options_.log_file.empty()) {
      ensure_directory(std::filesystem::path(options_.log_file).parent_path().string());
      log_fd.reset(
          ::open(options_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
      if (!log_fd) throw_errno("opening " + options_.log_file);
    }
    SpawnOptions spawn_options;
    spawn_options.argv = argv;
    spawn_options.stdin_io = Stdio::null();
    if (log_fd) {
      spawn_options.stdout_io = Stdio::from_fd(log_fd.get());
      spawn_options.stderr_io = Stdio::from_fd(log_fd.get());
    }
    spawn_options.env = read_env_file(options_.env_file);
    spawn_options.new_session = true;
    spawn_options.parent_death_signal = SIGTERM;
    process = spawn(spawn_options);
  } catch (const std::exception& e) {
    spawn_error = e.what();
  }
  lock.lock();
  ++generation_;
  if (!spawn_error.empty()) {
    last_exit_ = "failed to start: " + spawn_error;
    last_exit_clean_ = false;
    log::error("cannot start berthd", {{"error", spawn_error}});
    changed_.notify_all();
    return;
  }
  log::info("berthd started", {{"pid", process.pid()},
                               {"binary", argv.front()},
                               {"config", config.empty() ? "(defaults)" : config}});
  running_ = true;
  ready_ = false;
  ready_after_.reset();
  pid_ = process.pid();
  started_at_ = SteadyClock::now();
  changed_.notify_all();

  for (;;) {
    if (quit_ || stop_requested_ || restart_requested_) {
      lock.unlock();
      terminate(process);
      lock.lock();
      break;
    }
    const bool probe = !ready_ && !socket.empty();
    lock.unlock();
    pollfd fds[2] = {{process.pidfd(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    // Without a pidfd (old kernels) the exit is noticed by polling instead.
    const int timeout =
        probe || process.pidfd() < 0 ? static_cast<int>(options_.ready_poll.count()) : -1;
    ::poll(fds, 2, timeout);
    if (fds[1].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] ssize_t n = ::read(wake_.get(), &count, sizeof count);
    }
    const auto exited = process.try_wait();
    const bool answered = !exited && probe && engine_ping(socket, kProbeTimeout);
    lock.lock();
    if (exited) {
      last_exit_ = exited->describe();
      last_exit_clean_ = exited->success();
      break;
    }
    if (answered && !ready_) {
      ready_ = true;
      ready_after_ = seconds_since(started_at_);
      log::info("berthd ready",
                {{"pid", pid_}, {"after_ms", static_cast<long long>(*ready_after_ * 1000)}});
    }
  }
  running_ = false;
  ready_ = false;
  pid_ = 0;
  changed_.notify_all();
}

void EngineSupervisor::terminate(Process& process) {
  log::info("stopping berthd", {{"pid", process.pid()}});
  process.kill(SIGTERM);
  auto status = process.wait_for(options_.stop_timeout);
  if (!status) {
    log::warn("berthd ignored SIGTERM; killing it", {{"pid", process.pid()}});
    process.kill(SIGKILL);
    status = process.wait();
  }
  std::lock_guard lock(mutex_);
  last_exit_ = status->describe();
}

EngineStatus EngineSupervisor::status() {
  EngineStatus s;
  {
    std::lock_guard lock(mutex_);
    s.supervised = true;
    s.running = running_;
    s.pid = pid_;
    s.restarts = restarts_;
    s.last_restart_delay_ms = last_delay_.count();
    s.last_exit = last_exit_;
    s.binary = current_binary_.empty() ? binary() : current_binary_;
    s.config_file = current_config_;
    s.socket = options_.socket_override ? *options_.socket_override : socket_;
    if (running_) s.running_seconds = seconds_since(started_at_);
    s.ready_after_seconds = ready_after_;
  }
  // A live answer, not the supervisor's memory: an engine can hang after it first became ready.
  if (s.running && !s.socket.empty()) {
    if (const auto version = engine_version(s.socket, kStatusTimeout)) {
      s.ready = true;
      s.version = version->version;
      s.api_version = version->api_version;
    } else {
      s.ready = engine_ping(s.socket, kProbeTimeout);
    }
  }
  return s;
}

int EngineSupervisor::restart() {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) throw Unavailable("the engine is not supervised by this agent");
  const auto generation = generation_;
  if (paused_) {
    paused_ = false;
  } else {
    restart_requested_ = true;
  }
  wake();
  changed_.notify_all();
  changed_.wait_for(lock, options_.stop_timeout + std::chrono::seconds(5),
                    [&] { return quit_ || generation_ > generation; });
  if (generation_ == generation) throw Timeout("berthd did not restart in time");
  if (pid_ == 0) throw Error("berthd did not start: " + last_exit_);
  return pid_;
}

void EngineSupervisor::stop() {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable() || paused_) return;
  stop_requested_ = true;
  wake();
  changed_.notify_all();
  changed_.wait_for(lock, options_.stop_timeout + std::chrono::seconds(5),
                    [&] { return quit_ || paused_; });
}

}  // namespace berth::agent
