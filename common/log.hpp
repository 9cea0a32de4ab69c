#pragma once
// Process-wide logging: one line per event, "2024-05-01T12:00:00.123Z info message key=value", to
// stderr or an append-only file. Thread-safe; each line reaches the fd in a single write(2), so
// lines from concurrent threads (or processes sharing the file) never interleave.
#include <concepts>
#include <string>
#include <string_view>
#include <vector>

namespace berth::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

// One key=value pair. Values that need it are quoted ("a b" -> key="a b").
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <std::integral T>
  Field(std::string_view k, T v) : key(k), value(std::to_string(v)) {}

  std::string key;
  std::string value;
};
using Fields = std::vector<Field>;

// "debug", "info", "warn"/"warning", "error"; anything else throws InvalidArgument.
Level parse_level(std::string_view name);
std::string_view level_name(Level level);

void set_level(Level level);
void set_level(std::string_view name);
Level level();
bool enabled(Level level);

// Appends to `path` (created 0640 if missing) from now on. Throws SystemError; the old output
// stays.
void set_output_file(const std::string& path);
void set_output_stderr();

void write(Level level, std::string_view message, const Fields& fields = {});
inline void debug(std::string_view message, const Fields& fields = {}) {
  write(Level::Debug, message, fields);
}
inline void info(std::string_view message, const Fields& fields = {}) {
  write(Level::Info, message, fields);
}
inline void warn(std::string_view message, const Fields& fields = {}) {
  write(Level::Warn, message, fields);
}
inline void error(std::string_view message, const Fields& fields = {}) {
  write(Level::Error, message, fields);
}

// The line write() would emit, without the time stamp and newline (exposed for tests).
std::string format_event(Level level, std::string_view message, const Fields& fields);

}  // namespace berth::log
