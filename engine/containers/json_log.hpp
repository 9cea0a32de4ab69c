#pragma once
// Docker's json-file log format: one JSON object per line,
// {"log":"hello\n","stream":"stdout","time":"2024-01-01T00:00:00.000000000Z"}, with the
// container's chosen labels and variables as "attrs" before "time" when it has any. Rotated by
// size into <path>.1, <path>.2, … (max-size / max-file), gzipped as <path>.1.gz, … with compress.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.hpp"

namespace berth::engine {

struct JsonLogLimits {
  int64_t max_size = -1;  // bytes per file; -1 for no limit
  int max_files = 1;
  // compress: the program that gzips a rotated file, run as `compressor log-compress FROM TO
  // HEADER` (berthd; see gzip_file.hpp). Empty: rotated files stay plain.
  std::string compressor;
};

class JsonLogWriter {
 public:
  explicit JsonLogWriter(std::string path, JsonLogLimits limits = {}, std::string attrs = "");
  JsonLogWriter(const JsonLogWriter&) = delete;
  JsonLogWriter& operator=(const JsonLogWriter&) = delete;
  // Splits `data` into lines (a partial last line waits for its end, or is flushed by flush()).
  void write(std::string_view stream, std::string_view data);
  void flush();

 private:
  void write_entry(std::string_view stream, std::string_view text);
  void open_file();
  void rotate();

  std::string path_;
  int64_t max_size_;
  int max_files_;
  std::string compressor_;
  std::string attrs_;
  UniqueFd fd_;
  int64_t size_ = 0;
  std::string last_time_;  // of the newest entry: a gzipped file's header records it
  // The compressor still gzipping the newest rotated file: waited for before the next rotation.
  UniqueFd compressing_;                                     // its pidfd
  std::map<std::string, std::string, std::less<>> partial_;  // per stream: text without its newline
};

struct LogReadOptions {
  bool stdout = true;
  bool stderr = true;
  bool follow = false;
  bool timestamps = false;
  bool details = false;         // each entry's attrs, "k=v,…", and a space before its text
  std::optional<int64_t> tail;  // last N lines (over rotated files too); nullopt = all
  std::optional<int64_t> since_nano, until_nano;
};

// Reads a json-file log (rotated files oldest first). Each entry goes to `emit(stream, text)` with
// the timestamp prefixed when asked ("2024-…Z hello\n"). With follow, waits for new lines until
// `keep_following()` returns false (container stopped and drained, or client gone).
void read_json_log(const std::string& path, const LogReadOptions& options,
                   const std::function<void(std::string_view stream, std::string_view text)>& emit,
                   const std::function<bool()>& keep_following);

}  // namespace berth::engine
