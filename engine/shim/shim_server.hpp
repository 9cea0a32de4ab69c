#pragma once
// berth-shim's event loop: one thread, one poll() over the process's stdio, the shim.sock listener,
// every client connection and a signalfd for SIGCHLD. See shim_protocol.hpp for the protocol.
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.hpp"
#include "engine/containers/json_log.hpp"
#include "engine/containers/shim_client.hpp"
#include "engine/shim/shim_process.hpp"

namespace berth::engine::shim {

class ShimServer {
 public:
  explicit ShimServer(ShimLaunch launch);
  // Creates the process (container init) and reports readiness on `ready_fd`, then serves until
  // the process has exited and its clients are done. Returns the shim's exit status.
  int run(UniqueFd ready_fd);

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { Created, Running, Exited };
  struct Client {
    enum class Mode { Request, Attach, Wait };
    UniqueFd fd;
    Mode mode = Mode::Request;
    std::string in;   // request line being read
    std::string out;  // bytes waiting to be written
    bool stdin = false, stdout = false, stderr = false;
    bool input_done = false;  // the client half-closed (or we stopped reading it)
    // TTY only: the key sequence that detaches this client (docker's escape proxy), and how many
    // of its bytes the input has matched so far (held back until the sequence completes or breaks).
    std::string detach_keys;
    size_t detach_matched = 0;
    bool finish = false;                             // close once `out` is written
    std::optional<Clock::time_point> stalled_since;  // output queue over the high-water mark
  };

  static std::string one_line(std::string_view text);
  static void close_gracefully(UniqueFd& fd);

  void setup();
  void loop();
  void accept_clients();
  void read_client(Client& client);
  void write_client(Client& client);
  void handle_request(Client& client, std::string_view line);
  void reply(Client& client, bool ok, std::string_view payload);
  void feed_stdin(Client& client, std::string_view data);
  void queue_stdin(std::string_view data);
  void client_input_ended(Client& client);
  void end_attach(Client& client);
  // Reads what the process wrote on `fd`; returns false at end of stream.
  bool read_output(UniqueFd& fd, std::string_view stream);
  void dispatch_output(std::string_view stream, std::string_view data);
  void write_stdin();
  void request_stdin_close();
  void reap_children();
  void process_exited(int wait_status, const std::string& error = {});
  void drop_stalled_clients(Clock::time_point now);
  bool output_paused() const;
  bool done(Clock::time_point now) const;

  ShimLaunch launch_;
  RuntimeProcess process_;
  std::optional<JsonLogWriter> log_;
  UniqueFd listener_, signal_fd_;
  std::list<Client> clients_;
  State state_ = State::Created;
  int pid_ = 0;
  // The container process runs from the launch on, but its exit is only reported once it has been
  // started (as clients see it): an exit before that waits here.
  std::optional<int> exit_before_start_;
  pid_t runtime_delete_pid_ = 0;  // `runtime delete` still running after the exit
  std::string exit_json_;
  std::string stdin_buffer_;
  bool stdin_close_requested_ = false;
  std::optional<Clock::time_point> exit_deadline_;
};

}  // namespace berth::engine::shim
