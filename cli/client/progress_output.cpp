#include "cli/client/progress_output.hpp"

#include <unistd.h>

#include "cli/client/attach_session.hpp"
#include "cli/progress/json_message_stream.hpp"

namespace berth::cli::client {

ProgressScreen screen_for(std::ostream& out, int fd) {
  const bool terminal = ::isatty(fd) == 1;
  const int width = terminal ? terminal_size(fd).second : 80;
  return ProgressScreen{out, terminal, width > 0 ? width : 80};
}

void render_progress(http::ResponseStream& response, const ProgressScreen& screen,
                     const std::function<void(const Json&)>& on_aux) {
  progress::JsonMessageStream messages(screen.out, screen.terminal, screen.width);
  if (on_aux) messages.on_aux = on_aux;
  std::string line;
  while (response.read_line(line)) {
    messages.feed(line + "\n");
    screen.out.flush();
  }
  messages.finish();
  screen.out.flush();
}

}  // namespace berth::cli::client
