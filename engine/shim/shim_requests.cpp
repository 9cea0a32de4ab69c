// ShimServer's answers to shim.sock requests, and what it does when the process exits.
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "common/atomic_file.hpp"
#include "common/log.hpp"
#include "common/subprocess.hpp"
#include "common/time_format.hpp"
#include "engine/shim/shim_protocol.hpp"
#include "engine/shim/shim_server.hpp"

namespace berth::engine::shim {
namespace {
// After the exit, how long clients may take to read the rest of their output.
constexpr auto kExitLinger = std::chrono::seconds(10);

// "1011" → "\x10\x11": the attach request carries the detach keys in hex, since any byte (a space,
// a newline) may be one. Invalid digits decode to nothing: no detach keys rather than wrong ones.
std::string hex_decode(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string bytes;
  if (hex.size() % 2 != 0) return bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = digit(hex[i]), low = digit(hex[i + 1]);
    if (high < 0 || low < 0) return {};
    bytes.push_back(static_cast<char>(high * 16 + low));
  }
  return bytes;
}
}  // namespace

void ShimServer::reply(Client& c, bool ok, std::string_view payload) {
  c.out.append(ok ? "ok" : "error");
  if (!payload.empty()) {
    c.out.push_back(' ');
    c.out.append(one_line(payload));
  }
  c.out.push_back('\n');
}

void ShimServer::handle_request(Client& c, std::string_view line) {
  const auto words = split_request(line);
  const std::string command = words.empty() ? "" : words[0];
  auto finish_with = [&](bool ok, std::string_view payload) {
    reply(c, ok, payload);
    c.finish = true;
    c.input_done = true;
  };
  if (command == "start") {
    if (state_ != State::Created) {
      finish_with(false,
                  state_ == State::Running ? "process already started" : "process already exited");
      return;
    }
    try {
      if (process_.is_exec())
        pid_ = process_.exec();
      else
        process_.start();
      state_ = State::Running;
      finish_with(true, std::to_string(pid_));
      if (exit_before_start_) process_exited(*exit_before_start_);
    } catch (const std::exception& e) {
      finish_with(false, e.what());
      // An exec that failed never ran: it is over, with docker's code for "could not be run".
      if (process_.is_exec()) process_exited(0, e.what());
    }
  } else if (command == "attach" && (words.size() == 4 || words.size() == 5)) {
    c.mode = Client::Mode::Attach;
    // As dockerd: without OpenStdin an attach has no stdin, whatever the client asked.
    c.stdin = words[1] == "1" && launch_.open_stdin;
    // Docker only watches a terminal's input for the detach keys.
    if (words.size() == 5 && launch_.tty) c.detach_keys = hex_decode(words[4]);
    c.stdout = words[2] == "1";
    // A terminal has one output stream; docker reports it as stdout.
    c.stderr = words[3] == "1" && !launch_.tty;
    reply(c, true, "");
    if (state_ == State::Exited) c.finish = true;
  } else if (command == "resize" && words.size() == 3) {
    if (!process_.console_fd()) {
      finish_with(false, "the process has no terminal");
      return;
    }
    winsize size{};
    try {
      size.ws_row = static_cast<unsigned short>(std::stoi(words[1]));
      size.ws_col = static_cast<unsigned short>(std::stoi(words[2]));
    } catch (const std::exception&) {
      finish_with(false, "invalid terminal size");
      return;
    }
    if (::ioctl(process_.console_fd().get(), TIOCSWINSZ, &size) != 0) {
      finish_with(false, std::string("resize terminal: ") + std::strerror(errno));
      return;
    }
    finish_with(true, "");
  } else if (command == "close_stdin") {
    request_stdin_close();
    finish_with(true, "");
  } else if (command == "wait") {
    if (state_ == State::Exited) {
      finish_with(true, exit_json_);
    } else {
      c.mode = Client::Mode::Wait;
    }
  } else if (command == "state") {
    const char* status = state_ == State::Created   ? "created"
                         : state_ == State::Running ? "running"
                                                    : "exited";
    finish_with(
        true, std::string("{\"status\":\"") + status + "\",\"pid\":" + std::to_string(pid_) + "}");
  } else {
    finish_with(false, "unknown request \"" + std::string(line.substr(0, 64)) + "\"");
  }
}

void ShimServer::reap_children() {
  signalfd_siginfo info;
  while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
  }
  // As a subreaper the shim inherits every orphan of the container's runtime; reap them all.
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (pid == runtime_delete_pid_) {
      runtime_delete_pid_ = 0;
      const ExitStatus result = ExitStatus::from_wait_status(status);
      if (!result.success())
        log::warn("runtime delete failed", {{"id", launch_.id}, {"status", result.describe()}});
      continue;
    }
    if (pid != pid_ || state_ == State::Exited) continue;
    if (state_ == State::Created)
      exit_before_start_ = status;
    else
      process_exited(status);
  }
}

void ShimServer::process_exited(int wait_status, const std::string& error) {
  // Everything the process wrote is in the pipes now; take it before telling anyone it is over.
  // (Read until empty, not until EOF: a leftover grandchild may hold the pipe open.)
  for (auto [fd, stream] :
       {std::pair{&process_.stdout_fd(), "stdout"}, std::pair{&process_.stderr_fd(), "stderr"},
        std::pair{&process_.console_fd(), "stdout"}}) {
    while (*fd && read_output(*fd, stream)) {
    }
  }
  if (log_) {
    try {
      log_->flush();
    } catch (const std::exception& e) {
      log::error("flushing container log failed", {{"id", launch_.id}, {"error", e.what()}});
    }
  }

  ShimExit exit;
  exit.exit_code = error.empty() ? ExitStatus::from_wait_status(wait_status).shell_code() : 126;
  exit.finished_at = rfc3339_nano(std::chrono::system_clock::now());
  exit.oom_killed = !process_.is_exec() && error.empty() && process_.oom_killed();
  exit.error = error;
  exit_json_ = exit_to_json(exit);
  try {
    write_file_replace(state_file(launch_.state_dir, kExitFile), exit_json_ + "\n");
  } catch (const std::exception& e) {
    log::error("writing exit record failed", {{"id", launch_.id}, {"error", e.what()}});
  }
  state_ = State::Exited;
  log::info("process exited", {{"id", launch_.id}, {"exit_code", exit.exit_code}});

  stdin_buffer_.clear();
  process_.stdin_fd().reset();
  process_.stdout_fd().reset();
  process_.stderr_fd().reset();
  process_.console_fd().reset();
  for (auto& c : clients_) {
    if (c.mode == Client::Mode::Wait) {
      reply(c, true, exit_json_);
      c.finish = true;
    } else if (c.mode == Client::Mode::Attach) {
      c.finish = true;
    }
    // Send now: the runtime's delete below takes a while, and whoever waits for this exit (berthd
    // answering `docker wait`, a client attached to the output) must not wait for it too.
    if (c.fd && !c.out.empty())
      write_client(c);
    else if (c.finish)
      close_gracefully(c.fd);
  }
  if (!process_.is_exec()) runtime_delete_pid_ = process_.begin_remove();
  exit_deadline_ = Clock::now() + kExitLinger;
}

}  // namespace berth::engine::shim
