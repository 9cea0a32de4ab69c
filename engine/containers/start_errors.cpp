#include "engine/containers/start_errors.hpp"

#include <algorithm>
#include <cctype>

namespace berth::engine {
namespace {

// runc names its failed command. Without a terminal berthd starts the process with `runc run`,
// which saves one Go start-up, where containerd always says `runc create`. The user reads dockerd's
// words.
std::string as_create(std::string message) {
  const auto run = message.find(" run failed: ");
  if (run != std::string::npos && message.find(' ') == run) message.replace(run, 4, " create");
  return message;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

}  // namespace

void throw_runtime_start_failure(std::string_view runtime_message, std::string_view command) {
  std::string message = "failed to create shim task: OCI runtime create failed: " +
                        as_create(std::string(runtime_message)) + ": unknown";
  // As dockerd's checks: the message is lowercased, and the command is not.
  const std::string lower = lowercase(message);
  const auto says = [&lower](std::string_view words) {
    return lower.find(words) != std::string::npos;
  };
  int exit_code = 0;
  if (says(command) && (says("executable file not found") || says("no such file or directory")))
    exit_code = 127;
  if (says("permission denied")) exit_code = 126;
  if (says("not a directory")) {
    message +=
        ": Are you trying to mount a directory onto a file (or vice-versa)? Check if the "
        "specified host path exists and is the expected type";
    exit_code = 127;
  }
  if (exit_code != 0) throw RuntimeStartRefused(message, exit_code);
  throw Error(message);
}

}  // namespace berth::engine
