#include "engine/containers/shim_client.hpp"

#include <poll.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/subprocess.hpp"
#include "common/time_format.hpp"
#include "engine/shim/shim_protocol.hpp"

namespace berth::engine {
namespace {

using namespace std::chrono_literals;
using shim::state_file;

constexpr auto kConnectTimeout = 5s;
// The shim answers most requests at once; `start` waits for `runtime start`/`runtime exec`,
// which the shim bounds at two minutes.
constexpr auto kRequestTimeout = 150s;
// How long launch() waits for the shim's readiness line (runtime run is bounded at 2 minutes).
constexpr auto kLaunchTimeout = 180s;
// Attach streams and waits last as long as the process; the caller may shorten this.
constexpr auto kForever = std::chrono::hours(24 * 365 * 10);

std::unique_ptr<Stream> connect_shim(const std::string& state_dir) {
  shim::SocketAddress address(state_dir, shim::kSocketFile);
  Endpoint ep;
  ep.kind = Endpoint::Kind::unix_socket;
  ep.path = address.path();
  auto stream = make_socket_stream(connect_to(ep, kConnectTimeout));
  stream->set_io_timeout(kRequestTimeout);
  return stream;
}

struct Reply {
  bool ok = false;
  std::string payload;
  std::string rest;  // bytes after the reply line (attach output that came with it)
};

Reply request(Stream& stream, const std::string& line) {
  stream.write_all(line + "\n");
  std::string buffer;
  char chunk[4096];
  for (;;) {
    auto newline = buffer.find('\n');
    if (newline != std::string::npos) {
      std::string head = buffer.substr(0, newline);
      Reply reply;
      reply.rest = buffer.substr(newline + 1);
      reply.ok = head == "ok" || head.starts_with("ok ");
      if (reply.ok) {
        reply.payload = head.size() > 3 ? head.substr(3) : "";
      } else {
        reply.payload = head.starts_with("error ") ? head.substr(6) : head;
      }
      return reply;
    }
    if (buffer.size() > shim::kMaxRequestLine * 16)
      throw Error("berth-shim sent an overlong reply");
    size_t n = stream.read_some(chunk, sizeof chunk);
    if (n == 0) throw Error("berth-shim closed the connection without answering \"" + line + "\"");
    buffer.append(chunk, n);
  }
}

Reply must_request(const std::string& state_dir, const std::string& line) {
  std::unique_ptr<Stream> stream;
  try {
    stream = connect_shim(state_dir);
  } catch (const Error& e) {
    throw Conflict(
        "container process is not running (berth-shim unreachable: " + std::string(e.what()) + ")");
  }
  Reply reply = request(*stream, line);
  if (!reply.ok) throw Error(reply.payload);
  return reply;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

// Reads the shim's readiness line from the launch pipe: "ok <pid>" or "error <message>".
std::string read_ready_line(int fd) {
  const auto deadline = std::chrono::steady_clock::now() + kLaunchTimeout;
  std::string line;
  char buf[1024];
  while (line.find('\n') == std::string::npos) {
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw Timeout("berth-shim did not report readiness in time");
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_errno("wait for berth-shim");
    if (ready == 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  if (auto newline = line.find('\n'); newline != std::string::npos) line.resize(newline);
  return line;
}

}  // namespace

ShimClient ShimClient::launch(const ShimLaunch& launch) {
  ensure_directory(launch.state_dir, 0700);
  // A state dir may be reused (a container restarted): last run's exit must not look like this
  // one's.
  ::unlink(state_file(launch.state_dir, shim::kExitFile).c_str());
  write_file_replace(state_file(launch.state_dir, shim::kLaunchFile), shim::launch_to_json(launch),
                     0600);

  UniqueFd shim_log(::open(state_file(launch.state_dir, shim::kShimLogFile).c_str(),
                           O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!shim_log) throw_errno("open " + state_file(launch.state_dir, shim::kShimLogFile));
  auto [ready_r, ready_w] = make_pipe(O_CLOEXEC);

  SpawnOptions options;
  options.argv = {launch.shim_path, launch.state_dir};
  options.new_session = true;
  options.stdin_io = Stdio::null();
  options.stdout_io = Stdio::null();
  options.stderr_io = Stdio::from_fd(shim_log.get());
  options.extra_fds = {{shim::kReadyFd, ready_w.get()}};
  Process first = spawn(options);
  ready_w.reset();
  // The first process forks the real shim and exits at once (see shim_main.cpp).
  ExitStatus status = first.wait();

  std::string line = read_ready_line(ready_r.get());
  if (line.starts_with("ok ")) {
    int pid = 0;
    try {
      pid = std::stoi(line.substr(3));
    } catch (const std::exception&) {
      throw Error("berth-shim sent an invalid readiness line: " + line);
    }
    return ShimClient(launch.state_dir, pid);
  }
  if (line.starts_with("error ")) throw Error(line.substr(6));
  throw Error("berth-shim for " + launch.id + " failed before reporting readiness (" +
              status.describe() + "); see " + state_file(launch.state_dir, shim::kShimLogFile));
}

std::optional<ShimClient> ShimClient::reconnect(const std::string& state_dir) {
  try {
    auto stream = connect_shim(state_dir);
    Reply reply = request(*stream, "state");
    if (!reply.ok) return std::nullopt;
    auto state = nlohmann::json::parse(reply.payload, nullptr, false);
    int pid = state.is_object() ? state.value("pid", 0) : 0;
    return ShimClient(state_dir, pid);
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string detach_key_bytes(std::string_view spec) {
  // As docker's term.ToBytes: ctrl-@ is 0, ctrl-a 1 … ctrl-z 26, ctrl-[ 27 … ctrl-_ 31.
  static constexpr std::string_view kControlKeys = "@abcdefghijklmnopqrstuvwxyz[\\]^_";
  std::string bytes;
  std::string_view rest = spec;
  for (;;) {
    const auto comma = rest.find(',');
    const std::string_view key = rest.substr(0, comma);
    if (key.size() == 1) {
      bytes.push_back(key[0]);
    } else if (key == "DEL") {
      bytes.push_back('\x7f');
    } else if (key.size() == 6 && key.starts_with("ctrl-") &&
               kControlKeys.find(key[5]) != std::string_view::npos) {
      bytes.push_back(static_cast<char>(kControlKeys.find(key[5])));
    } else {
      throw InvalidArgument("Invalid detach keys (" + std::string(spec) + ") provided");
    }
    if (comma == std::string_view::npos) return bytes;
    rest.remove_prefix(comma + 1);
  }
}

std::unique_ptr<Stream> ShimClient::attach(bool stdin, bool stdout, bool stderr,
                                           std::string_view detach_keys) {
  std::unique_ptr<Stream> stream;
  try {
    stream = connect_shim(state_dir_);
  } catch (const Error& e) {
    throw Conflict("cannot attach: container process is not running (" + std::string(e.what()) +
                   ")");
  }
  std::string line = std::string("attach ") + (stdin ? "1" : "0") + " " + (stdout ? "1" : "0") +
                     " " + (stderr ? "1" : "0");
  if (!detach_keys.empty()) line += " " + hex_encode(detach_keys);
  Reply reply = request(*stream, line);
  if (!reply.ok) throw Error(reply.payload);
  stream->set_io_timeout(kForever);
  if (reply.rest.empty()) return stream;
  auto prefixed = make_prefixed_stream(std::move(reply.rest), std::move(stream));
  prefixed->set_io_timeout(kForever);
  return prefixed;
}

void ShimClient::start() {
  Reply reply = must_request(state_dir_, "start");
  try {
    pid_ = std::stoi(reply.payload);
  } catch (const std::exception&) {
    throw Error("berth-shim sent an invalid pid: " + reply.payload);
  }
}

void ShimClient::resize(int height, int width) {
  if (height <= 0 || width <= 0 || height > 65535 || width > 65535) {
    throw InvalidArgument("invalid terminal size " + std::to_string(height) + "x" +
                          std::to_string(width));
  }
  must_request(state_dir_, "resize " + std::to_string(height) + " " + std::to_string(width));
}

void ShimClient::close_stdin() {
  must_request(state_dir_, "close_stdin");
}

std::optional<ShimExit> ShimClient::wait(std::optional<std::chrono::milliseconds> timeout) {
  auto recorded_or_lost = [this]() -> std::optional<ShimExit> {
    if (auto exit = read_exit(state_dir_)) return exit;
    ShimExit lost;
    lost.exit_code = 255;
    lost.finished_at = rfc3339_nano(std::chrono::system_clock::now());
    lost.error = "berth-shim exited without recording the process's exit status";
    return lost;
  };
  std::unique_ptr<Stream> stream;
  try {
    stream = connect_shim(state_dir_);
  } catch (const Error&) {
    return recorded_or_lost();  // the shim is gone: it wrote exit.json before leaving
  }
  stream->set_io_timeout(timeout ? std::chrono::duration_cast<Clock::duration>(*timeout)
                                 : Clock::duration(kForever));
  try {
    Reply reply = request(*stream, "wait");
    if (reply.ok) return shim::exit_from_json(reply.payload);
  } catch (const Timeout&) {
    return std::nullopt;
  } catch (const Error&) {
    // The shim died while we waited; fall through to what it left behind.
  }
  return recorded_or_lost();
}

std::optional<ShimExit> ShimClient::read_exit(const std::string& state_dir) {
  try {
    return shim::exit_from_json(read_file(state_file(state_dir, shim::kExitFile)));
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace berth::engine
