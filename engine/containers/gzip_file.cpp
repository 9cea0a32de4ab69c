#include "engine/containers/gzip_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.hpp"
#include "common/time_format.hpp"

namespace berth::engine {
namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr int kGzipWindow = 15 + 16;        // deflate: write a gzip wrapper
constexpr int kAutoDetectWindow = 15 + 32;  // inflate: gzip or zlib

void write_fully(int fd, const unsigned char* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write " + path);
    data += n;
    size -= static_cast<size_t>(n);
  }
}

ssize_t read_some(int fd, unsigned char* buf, size_t size, const std::string& path) {
  for (;;) {
    const ssize_t n = ::read(fd, buf, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + path);
    return n;
  }
}

}  // namespace

void gzip_file(const std::string& from, const std::string& to, const std::string& header_extra) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw_errno("open " + from);
  const std::string partial = to + ".partial";
  UniqueFd out(::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!out) throw_errno("create " + partial);

  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindow, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    throw Error("gzip " + from + ": cannot start the compressor");
  std::vector<unsigned char> extra(header_extra.begin(), header_extra.end());
  gz_header header{};
  header.extra = extra.data();
  header.extra_len = static_cast<uInt>(extra.size());
  header.os = 255;  // unknown, as Go's gzip writer says
  deflateSetHeader(&z, &header);
  std::vector<unsigned char> input(kChunk), output(kChunk);
  try {
    int flush = Z_NO_FLUSH;
    while (flush != Z_FINISH) {
      const ssize_t n = read_some(in.get(), input.data(), input.size(), from);
      flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
      z.next_in = input.data();
      z.avail_in = static_cast<uInt>(n);
      do {
        z.next_out = output.data();
        z.avail_out = static_cast<uInt>(output.size());
        deflate(&z, flush);
        write_fully(out.get(), output.data(), output.size() - z.avail_out, partial);
      } while (z.avail_out == 0);
    }
  } catch (...) {
    deflateEnd(&z);
    ::unlink(partial.c_str());
    throw;
  }
  deflateEnd(&z);
  if (::rename(partial.c_str(), to.c_str()) != 0) {
    const int err = errno;
    ::unlink(partial.c_str());
    throw_errno("rename " + partial, err);
  }
  ::unlink(from.c_str());
}

std::optional<int64_t> gzip_last_time(const std::string& path) {
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return std::nullopt;
  unsigned char header[12 + 512];
  const ssize_t n = ::pread(in.get(), header, sizeof header, 0);
  // ID1 ID2 CM FLG MTIME(4) XFL OS, then with FLG.FEXTRA a 2-byte length and the extra field.
  if (n < 12 || header[0] != 0x1f || header[1] != 0x8b || !(header[3] & 0x04)) return std::nullopt;
  const size_t length = header[10] | (header[11] << 8);
  if (static_cast<size_t>(n) < 12 + length) return std::nullopt;
  const auto extra = nlohmann::json::parse(header + 12, header + 12 + length, nullptr, false);
  if (!extra.is_object() || !extra.contains("lastTime") || !extra["lastTime"].is_string())
    return std::nullopt;
  try {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               parse_rfc3339(extra["lastTime"].get<std::string>()).time_since_epoch())
        .count();
  } catch (const Error&) {
    return std::nullopt;
  }
}

UniqueFd gunzip_to_temp_file(const std::string& path) {
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw_errno("open " + path);
  const std::string dir = path.substr(0, path.rfind('/') + 1);
  UniqueFd out(::open(dir.empty() ? "." : dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!out) throw_errno("create a temporary file in " + dir);

  z_stream z{};
  if (inflateInit2(&z, kAutoDetectWindow) != Z_OK)
    throw Error("gunzip " + path + ": cannot start the decompressor");
  std::vector<unsigned char> input(kChunk), output(kChunk);
  int status = Z_OK;
  try {
    while (status != Z_STREAM_END) {
      const ssize_t n = read_some(in.get(), input.data(), input.size(), path);
      if (n == 0) break;  // a truncated file: keep what it held
      z.next_in = input.data();
      z.avail_in = static_cast<uInt>(n);
      do {
        z.next_out = output.data();
        z.avail_out = static_cast<uInt>(output.size());
        status = inflate(&z, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR)
          throw Error("gunzip " + path + ": " + (z.msg ? z.msg : "corrupt data"));
        write_fully(out.get(), output.data(), output.size() - z.avail_out, path);
      } while (z.avail_out == 0 && status != Z_STREAM_END);
    }
  } catch (...) {
    inflateEnd(&z);
    throw;
  }
  inflateEnd(&z);
  if (::lseek(out.get(), 0, SEEK_SET) < 0) throw_errno("seek in the copy of " + path);
  return out;
}

}  // namespace berth::engine
