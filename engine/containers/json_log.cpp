// JsonLogWriter: byte-for-byte the lines dockerd's json-file driver writes, so `docker logs` tools
// and log shippers that read /var/lib/docker/containers/*/*-json.log read ours too.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "common/error.hpp"
#include "common/subprocess.hpp"
#include "common/time_format.hpp"
#include "engine/containers/json_log.hpp"

namespace berth::engine {
namespace {

// dockerd's log copier reads into a 16 KiB buffer and logs a full buffer without a newline as a
// partial message; long lines are split the same way here.
constexpr size_t kMaxLineChunk = 16 * 1024;

// Length of the UTF-8 sequence at s[i], or 0 when it is invalid — with the exact rules of Go's
// utf8.DecodeRune (no overlongs, no surrogates, nothing past U+10FFFF).
size_t utf8_sequence(std::string_view s, size_t i, uint32_t& rune) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 < 0xC2) return 0;
  if (b0 < 0xE0) {
    need = 1;
    rune = b0 & 0x1F;
  } else if (b0 < 0xF0) {
    need = 2;
    rune = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 < 0xF5) {
    need = 3;
    rune = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + need >= s.size()) return 0;  // truncated sequence
  for (size_t k = 1; k <= need; ++k) {
    const unsigned char b = byte(i + k);
    if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return 0;
    rune = (rune << 6) | (b & 0x3F);
  }
  return need + 1;
}

// dockerd's encoder for the "log" field (jsonlog.ffjsonWriteJSONBytesAsString): HTML-safe escapes
// for <, > and &, \u00XX for control bytes other than \n and \r, U+FFFD for each invalid byte.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        out.push_back(static_cast<char>(b));
      } else if (b == '\\' || b == '"') {
        out.push_back('\\');
        out.push_back(static_cast<char>(b));
      } else if (b == '\n') {
        out.append("\\n");
      } else if (b == '\r') {
        out.append("\\r");
      } else {
        out.append("\\u00");
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xF]);
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    const size_t size = utf8_sequence(s, i, rune);
    if (size == 0) {
      out.append("\\ufffd");
      ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      out.append(rune == 0x2028 ? "\\u2028" : "\\u2029");
    } else {
      out.append(s.substr(i, size));
    }
    i += size;
  }
  out.push_back('"');
}

void write_fully(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write " + path);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

JsonLogWriter::JsonLogWriter(std::string path, JsonLogLimits limits, std::string attrs)
    : path_(std::move(path)),
      max_size_(limits.max_size > 0 ? limits.max_size : -1),
      max_files_(limits.max_files < 1 ? 1 : limits.max_files),
      compressor_(max_files_ >= 2 ? std::move(limits.compressor) : std::string()),
      attrs_(std::move(attrs)) {
  open_file();
}

void JsonLogWriter::open_file() {
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd_) throw_errno("open log file " + path_);
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_errno("stat " + path_);
  size_ = st.st_size;
}

namespace {

// Blocks until the process behind `pidfd` has exited (whoever reaps it).
void wait_for_exit(UniqueFd& pidfd) {
  if (!pidfd) return;
  pollfd pfd{pidfd.get(), POLLIN, 0};
  while (::poll(&pfd, 1, -1) < 0 && errno == EINTR) {
  }
  pidfd.reset();
}

}  // namespace

// dockerd's rotation: path.N-1 is dropped, each path.i moves to path.i+1, path becomes path.1.
// With compress the rotated files are path.i.gz, and path.1 is gzipped into path.1.gz by a process
// of its own, so the container's output never waits for the compressor; the next rotation waits
// for it, as dockerd's does. With max-file 1 the one file is truncated instead.
void JsonLogWriter::rotate() {
  fd_.reset();
  if (max_files_ >= 2) {
    wait_for_exit(compressing_);
    const std::string extension = compressor_.empty() ? "" : ".gz";
    const auto rotated = [&](int i) { return path_ + "." + std::to_string(i) + extension; };
    ::unlink(rotated(max_files_ - 1).c_str());
    for (int i = max_files_ - 1; i > 1; --i) {
      if (::rename(rotated(i - 1).c_str(), rotated(i).c_str()) != 0 && errno != ENOENT)
        throw_errno("rotate " + rotated(i - 1));
    }
    if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT) {
      throw_errno("rotate " + path_);
    }
    if (!compressor_.empty()) {
      SpawnOptions options;
      options.argv = {compressor_, "log-compress", path_ + ".1", rotated(1),
                      "{\"lastTime\":\"" + last_time_ + "\"}"};
      options.stdin_io = Stdio::null();
      options.stdout_io = Stdio::null();
      try {
        Process compressor = spawn(options);
        if (compressor.pidfd() >= 0) compressing_.reset(::dup(compressor.pidfd()));
        compressor.detach();  // reaped with the shim's other children
      } catch (const std::exception&) {
        // The rotated file stays plain; readers find it under either name.
      }
    }
  }
  fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640));
  if (!fd_) throw_errno("open log file " + path_);
  size_ = 0;
}

void JsonLogWriter::write_entry(std::string_view stream, std::string_view text) {
  std::string line;
  line.reserve(text.size() + 80);
  line.append("{\"log\":");
  append_json_string(line, text);
  line.append(",\"stream\":");
  append_json_string(line, stream);
  if (!attrs_.empty()) {
    line.append(",\"attrs\":");
    line.append(attrs_);
  }
  const std::string time = rfc3339_nano(std::chrono::system_clock::now());
  line.append(",\"time\":\"");
  line.append(time);
  line.append("\"}\n");
  // Like dockerd: rotate before a write once the file has reached max-size, so one entry may
  // take a file past the limit but never gets split across files.
  if (max_size_ > 0 && size_ >= max_size_) rotate();
  write_fully(fd_.get(), line, path_);
  size_ += static_cast<int64_t>(line.size());
  last_time_ = time;
}

void JsonLogWriter::write(std::string_view stream, std::string_view data) {
  auto it = partial_.find(stream);
  if (it == partial_.end()) it = partial_.emplace(std::string(stream), std::string()).first;
  std::string& pending = it->second;
  while (!data.empty()) {
    auto newline = data.find('\n');
    const size_t take = newline == std::string_view::npos ? data.size() : newline + 1;
    pending.append(data.substr(0, take));
    data.remove_prefix(take);
    // Oversized lines go out in chunks, as dockerd's partial messages (no newline of their own).
    auto content_size = [&] { return pending.size() - (pending.back() == '\n' ? 1 : 0); };
    while (content_size() > kMaxLineChunk) {
      write_entry(stream, std::string_view(pending).substr(0, kMaxLineChunk));
      pending.erase(0, kMaxLineChunk);
    }
    if (!pending.empty() && pending.back() == '\n') {
      write_entry(stream, pending);
      pending.clear();
    }
  }
}

void JsonLogWriter::flush() {
  for (auto& [stream, pending] : partial_) {
    if (pending.empty()) continue;
    write_entry(stream, pending);
    pending.clear();
  }
}

}  // namespace berth::engine
