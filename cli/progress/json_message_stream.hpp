#pragma once
// Renders the engine's JSON progress stream (load, pull, push, build, import) as the docker CLI
// does (github.com/moby/moby/pkg/jsonmessage DisplayJSONMessagesStream): on a terminal one line per
// layer ID, redrawn in place with a bar from progressDetail; otherwise plain lines, progress
// updates left out. Bytes may arrive in any chunking; each complete line is one message.
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/json.hpp"

namespace berth::cli::progress {

class JsonMessageStream {
 public:
  // `terminal_width` matters only on a terminal: the bar is drawn when it is over 110 columns, as
  // docker does.
  JsonMessageStream(std::ostream& out, bool terminal, int terminal_width = 80);

  // Renders every complete message in `data`. Throws berth::Error with the engine's message for
  // an error message ({"errorDetail": …, "error": …}); what came before it is already shown.
  void feed(std::string_view data);
  // The last message when the stream did not end with a newline.
  void finish();

  // Called with each "aux" payload (image IDs of a build, push digests) instead of printing it.
  std::function<void(const Json&)> on_aux;

 private:
  void render(const Json& message);
  void display(const Json& message);

  std::ostream& out_;
  bool terminal_;
  int width_;
  std::string pending_;
  // Layer ID -> its line, counted from the first progress line still on screen.
  std::unordered_map<std::string, int> lines_;
};

// JSONProgress.String(): "[=====>     ]  1.2MB/4.5MB" (the bar only when `width` > 110), the
// current size alone when the total is unknown, "" when there is nothing to show.
std::string progress_text(const Json& progress_detail, int width);

}  // namespace berth::cli::progress
