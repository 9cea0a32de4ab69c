#pragma once
// The engine's JSON progress answers (pull, push, import, build) drawn on the user's screen the
// way docker's jsonmessage.DisplayJSONMessagesToStream draws them: per-layer bars when `out` is a
// terminal, plain lines otherwise. Shared so that `pull`, `run`'s implicit pull and `build` look
// the same.
#include <functional>
#include <ostream>

#include "common/http_client.hpp"
#include "common/json.hpp"

namespace berth::cli::client {

struct ProgressScreen {
  std::ostream& out;
  bool terminal = false;  // the stream `out` writes to is a terminal
  int width = 80;         // its columns (bars only over 110, as docker)
};

// The screen for a file descriptor (1 or 2) as docker decides it: isatty and its width.
ProgressScreen screen_for(std::ostream& out, int fd);

// Reads `response` to its end, rendering every message. An error message in the stream throws
// berth::Error with the engine's text (docker prints it without "Error response from daemon").
// `on_aux` receives aux payloads (build's image ID, push digests).
void render_progress(http::ResponseStream& response, const ProgressScreen& screen,
                     const std::function<void(const Json&)>& on_aux = {});

}  // namespace berth::cli::client
