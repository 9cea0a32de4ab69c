#include "common/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>

#include "common/error.hpp"
#include "common/time_format.hpp"
#include "common/unique_fd.hpp"

namespace berth::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::Info)};

struct Output {
  std::mutex mutex;
  UniqueFd file;  // empty: stderr
};

Output& output() {
  // Leaked on purpose: threads and static destructors may still log while the process exits.
  static Output* instance = new Output;
  return *instance;
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '=' || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

// Control characters are escaped so one event is always exactly one line.
void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
}

void append_message(std::string& out, std::string_view message) {
  for (char c : message) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
}

}  // namespace

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::Debug;
  if (name == "info") return Level::Info;
  if (name == "warn" || name == "warning") return Level::Warn;
  if (name == "error") return Level::Error;
  throw InvalidArgument("invalid log level \"" + std::string(name) +
                        "\" (expected debug, info, warn or error)");
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "unknown";
}

void set_level(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}
void set_level(std::string_view name) {
  set_level(parse_level(name));
}
Level level() {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}
bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void set_output_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd) throw_errno("open log file " + path);
  std::lock_guard lock(output().mutex);
  output().file = std::move(fd);
}

void set_output_stderr() {
  std::lock_guard lock(output().mutex);
  output().file.reset();
}

std::string format_event(Level level, std::string_view message, const Fields& fields) {
  std::string line(level_name(level));
  line += ' ';
  append_message(line, message);
  for (const auto& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    if (needs_quotes(field.value)) {
      line += '"';
      append_escaped(line, field.value);
      line += '"';
    } else {
      line += field.value;
    }
  }
  return line;
}

void write(Level level, std::string_view message, const Fields& fields) {
  if (!enabled(level)) return;
  std::string line = rfc3339_millis(std::chrono::system_clock::now());
  line += ' ';
  line += format_event(level, message, fields);
  line += '\n';
  Output& out = output();
  std::lock_guard lock(out.mutex);
  int fd = out.file ? out.file.get() : STDERR_FILENO;
  std::string_view rest = line;
  // One write normally takes the whole line; loop only for EINTR or a short write on a full disk.
  // Failures are dropped: there is nowhere left to report them.
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace berth::log
