#include "engine/shim/shim_process.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/subprocess.hpp"
#include "common/unix_socket.hpp"
#include "engine/shim/shim_protocol.hpp"

namespace berth::engine::shim {
namespace {

using namespace std::chrono_literals;

// runc run/exec normally take well under a second; a cold page cache on a loaded CI host can
// take several. Past this the runtime is stuck and the user is better served by an error.
constexpr auto kRuntimeTimeout = 120s;
constexpr auto kConsoleTimeout = 10s;

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl O_NONBLOCK");
}

// What is readable right now, without waiting (the runtime has exited, so nothing more comes).
std::string read_available(int fd) {
  std::string text;
  if (fd < 0) return text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > 64 * 1024) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  return text;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

// The pty master the runtime sends over the console socket (SCM_RIGHTS).
UniqueFd receive_fd(int sock) {
  char data[256];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("receive console from runtime");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return UniqueFd(fd);
    }
  }
  throw Error("runtime sent no terminal over the console socket");
}

// Reads "key value" lines (cgroup memory.events, memory.oom_control). No iostreams here: they would
// pull the whole locale machinery into the shim, which stays resident in every running container's
// shim.
bool counter_positive(const std::string& path, std::string_view key) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error&) {
    return false;
  }
  std::string_view rest = text;
  while (!rest.empty()) {
    auto eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    auto space = line.find(' ');
    if (space == std::string_view::npos || line.substr(0, space) != key) continue;
    return std::strtoll(std::string(line.substr(space + 1)).c_str(), nullptr, 10) > 0;
  }
  return false;
}

}  // namespace

RuntimeProcess::RuntimeProcess(const ShimLaunch& launch) : launch_(launch) {}

RuntimeProcess::~RuntimeProcess() {
  remove_console_socket();
}

void RuntimeProcess::remove_console_socket() {
  console_listener_.reset();
  if (!console_socket_.empty()) ::unlink(console_socket_.c_str());
  if (!console_socket_dir_.empty()) ::rmdir(console_socket_dir_.c_str());
  console_socket_.clear();
  console_socket_dir_.clear();
}

std::string RuntimeProcess::file(std::string_view name) const {
  return state_file(launch_.state_dir, name);
}

void RuntimeProcess::prepare_stdio() {
  if (launch_.tty) {
    // The runtime connects by path, so the /proc/self/fd trick of SocketAddress is no use here;
    // a deep state dir gets a private short directory instead.
    console_socket_ = file(kConsoleSocketFile);
    if (console_socket_.size() >= sizeof(sockaddr_un{}.sun_path)) {
      std::string dir = "/tmp/berth-console-XXXXXX";
      if (::mkdtemp(dir.data()) == nullptr) throw_errno("create console socket dir");
      console_socket_dir_ = dir;
      console_socket_ = dir + "/console.sock";
    }
    console_listener_ = listen_unix(console_socket_, 1, 0600);
    return;
  }
  if (launch_.open_stdin) {
    auto [r, w] = make_pipe(O_CLOEXEC);
    child_stdin_ = std::move(r);
    stdin_w_ = std::move(w);
    set_nonblocking(stdin_w_.get());
  }
  auto [out_r, out_w] = make_pipe(O_CLOEXEC);
  stdout_r_ = std::move(out_r);
  child_stdout_ = std::move(out_w);
  auto [err_r, err_w] = make_pipe(O_CLOEXEC);
  stderr_r_ = std::move(err_r);
  child_stderr_ = std::move(err_w);
  set_nonblocking(stdout_r_.get());
  set_nonblocking(stderr_r_.get());
}

void RuntimeProcess::run_runtime(const std::string& verb, std::vector<std::string> args) {
  const std::string log_path = file(kRuntimeLogFile);
  // Each command starts with an empty log, so the last error in it is this command's.
  write_file_replace(log_path, "", 0600);
  SpawnOptions options;
  options.argv = {launch_.runtime_path,
                  "--root",
                  launch_.runtime_root,
                  "--log",
                  log_path,
                  "--log-format",
                  "json",
                  verb};
  options.argv.insert(options.argv.end(), args.begin(), args.end());

  // Without a TTY the runtime hands its own stdio to the process, so those are the process's pipes.
  // With a TTY the process gets the pty; the runtime's stderr is only its own error text.
  UniqueFd capture_r, capture_w;
  if (launch_.tty) {
    std::tie(capture_r, capture_w) = make_pipe(O_CLOEXEC);
    options.stdin_io = Stdio::null();
    options.stdout_io = Stdio::null();
    options.stderr_io = Stdio::from_fd(capture_w.get());
  } else {
    options.stdin_io = child_stdin_ ? Stdio::from_fd(child_stdin_.get()) : Stdio::null();
    options.stdout_io = Stdio::from_fd(child_stdout_.get());
    options.stderr_io = Stdio::from_fd(child_stderr_.get());
  }
  Process runtime = spawn(options);
  capture_w.reset();
  auto status = runtime.wait_for(kRuntimeTimeout);
  if (!status) {
    runtime.kill(SIGKILL);
    runtime.wait();
    throw Timeout(launch_.runtime_path + " " + verb + " timed out");
  }
  if (status->success()) return;

  // Whatever the runtime printed went to our pipe ends; it is its error text, never the process's
  // output (the process did not run), so take it off the pipe before anyone reads it as output.
  if (capture_r) set_nonblocking(capture_r.get());
  std::string printed = trim(read_available(launch_.tty ? capture_r.get() : stderr_r_.get()));
  read_available(stdout_r_.get());
  std::string message = last_runtime_error(log_path);
  if (message.empty()) message = printed;
  if (message.empty()) message = launch_.runtime_path + " " + verb + ": " + status->describe();
  throw Error(message);
}

int RuntimeProcess::read_pid_file() const {
  std::string text = trim(read_file(file(kProcessPidFile)));
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    throw Error("runtime wrote an invalid pid file: \"" + text + "\"");
  }
}

void RuntimeProcess::receive_console() {
  pollfd pfd{console_listener_.get(), POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(kConsoleTimeout / 1ms));
  if (ready <= 0) throw Error("runtime did not send the container's terminal");
  UniqueFd conn(::accept4(console_listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn) throw_errno("accept console socket connection");
  console_ = receive_fd(conn.get());
  set_nonblocking(console_.get());
  remove_console_socket();
}

int RuntimeProcess::launch() {
  try {
    auto config = nlohmann::json::parse(read_file(launch_.bundle + "/config.json"));
    cgroups_path_ = config.value("/linux/cgroupsPath"_json_pointer, std::string());
  } catch (const nlohmann::json::exception&) {
    // The runtime reports a broken config.json far better than we could.
  }
  std::vector<std::string> args = {"--bundle", launch_.bundle, "--pid-file", file(kProcessPidFile)};
  if (launch_.tty) {
    args.push_back("--console-socket");
    args.push_back(console_socket_);
  } else {
    args.insert(args.begin(), "--detach");
  }
  args.push_back(launch_.id);
  run_runtime(launch_.tty ? "create" : "run", args);
  if (launch_.tty) receive_console();
  child_stdin_.reset();
  child_stdout_.reset();
  child_stderr_.reset();
  return read_pid_file();
}

void RuntimeProcess::start() {
  if (!launch_.tty) return;  // launch() ran it already
  auto result = run_capture(
      {launch_.runtime_path, "--root", launch_.runtime_root, "start", launch_.id}, {}, 60s);
  if (!result.status.success()) {
    std::string message = trim(result.stderr_data);
    throw Error(message.empty() ? "runtime start: " + result.status.describe() : message);
  }
}

int RuntimeProcess::exec() {
  std::vector<std::string> args = {"--process", launch_.exec_process_file, "--detach", "--pid-file",
                                   file(kProcessPidFile)};
  if (launch_.tty) {
    args.push_back("--console-socket");
    args.push_back(console_socket_);
  }
  args.push_back(launch_.exec_container_id);
  try {
    run_runtime("exec", args);
  } catch (...) {
    child_stdin_.reset();
    child_stdout_.reset();
    child_stderr_.reset();
    throw;
  }
  if (launch_.tty) receive_console();
  child_stdin_.reset();
  child_stdout_.reset();
  child_stderr_.reset();
  return read_pid_file();
}

pid_t RuntimeProcess::begin_remove() {
  SpawnOptions options;
  // --force: the same as a plain delete for a stopped container, and it also clears a container the
  // runtime still thinks is running (its init died, a leftover process holds the cgroup).
  options.argv = {
      launch_.runtime_path, "--root", launch_.runtime_root, "delete", "--force", launch_.id};
  options.stdin_io = Stdio::null();
  options.stdout_io = Stdio::null();  // the runtime's complaints go to our stderr: the shim log
  try {
    Process process = spawn(options);
    process.detach();  // reaped by the shim's SIGCHLD handling with every other child
    return process.pid();
  } catch (const std::exception& e) {
    log::warn("runtime delete failed", {{"id", launch_.id}, {"error", e.what()}});
    return 0;
  }
}

bool RuntimeProcess::oom_killed() const {
  if (cgroups_path_.empty() || cgroups_path_.front() != '/') return false;
  return counter_positive("/sys/fs/cgroup/memory" + cgroups_path_ + "/memory.oom_control",
                          "oom_kill") ||
         counter_positive("/sys/fs/cgroup" + cgroups_path_ + "/memory.events", "oom_kill") ||
         counter_positive("/sys/fs/cgroup/unified" + cgroups_path_ + "/memory.events", "oom_kill");
}

}  // namespace berth::engine::shim
