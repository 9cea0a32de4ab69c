#pragma once
// The terminal side of attach, run -a, start -a and exec: copies our stdin into a hijacked engine
// stream, the stream's output to stdout/stderr (demultiplexing docker's stdcopy frames when there
// is no TTY), and — while that runs — forwards signals to the container and terminal size changes
// (SIGWINCH) to the engine, as the docker CLI does.
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "common/stream.hpp"

namespace berth::cli::client {

// Puts a terminal in raw mode (moby/term MakeRaw: cfmakeraw) for its lifetime; no-op when `fd` is
// not a terminal.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  struct Saved;
  int fd_;
  std::unique_ptr<Saved> saved_;
};

// Rows and columns of the terminal on `fd`, {0, 0} when it is none.
std::pair<int, int> terminal_size(int fd);

struct AttachIo {
  bool tty = false;         // raw bytes; else stdcopy frames
  bool send_stdin = false;  // copy fd 0 into the stream, half-closing it at end of input
  // Called from the helper thread: a signal to pass on (name without SIG, e.g. "TERM") and a new
  // terminal size. Unset = not forwarded.
  std::function<void(const std::string& signal)> forward_signal;
  std::function<void(int rows, int columns)> resize;
};

// Pumps until the engine closes the stream's output side. Returns when all output is written.
void pump_attached(Stream& stream, const AttachIo& io);

// The signal name docker sends for a signal number ("INT", "TERM", …), or its number as text.
std::string signal_name(int signal);

}  // namespace berth::cli::client
