// read_json_log: `docker logs` over a json-file log and its rotated files. Tail is counted over raw
// entries first, then since/until and the stream selection apply — the order dockerd uses, so
// `--tail 1 --stdout` after a final stderr line prints nothing, as it does there.
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <climits>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/http_router.hpp"
#include "common/time_format.hpp"
#include "common/unique_fd.hpp"
#include "engine/containers/gzip_file.hpp"
#include "engine/containers/json_log.hpp"

namespace berth::engine {
namespace {

using namespace std::chrono_literals;

constexpr size_t kReadBlock = 64 * 1024;
// Follow mode polls for new lines; a writer in another process (the shim) gives us no wakeup.
constexpr auto kFollowPoll = 100ms;

// docker logs --timestamps: RFC3339 with exactly nine fractional digits (RFC3339NanoFixed).
std::string fixed_nano_timestamp(int64_t nanos) {
  int64_t seconds = nanos / 1'000'000'000;
  int64_t fraction = nanos % 1'000'000'000;
  if (fraction < 0) {
    fraction += 1'000'000'000;
    --seconds;
  }
  const auto t = static_cast<time_t>(seconds);
  tm utc{};
  ::gmtime_r(&t, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(fraction));
  return buf;
}

class Reader {
 public:
  Reader(const LogReadOptions& options,
         const std::function<void(std::string_view, std::string_view)>& emit)
      : options_(options), emit_(emit) {}

  bool stopped() const { return stopped_; }

  // Entries at or before `nanos` are passed over: a compressed copy of a file already read.
  void pass_over_through(std::optional<int64_t> nanos) { floor_ = nanos; }
  int64_t last_seen() const { return last_seen_; }

  // Handles complete lines in `data`; keeps an unfinished last line for the next call.
  void feed(std::string_view data) {
    carry_.append(data);
    size_t start = 0;
    for (;;) {
      auto newline = carry_.find('\n', start);
      if (newline == std::string::npos) break;
      if (!stopped_) handle_line(std::string_view(carry_).substr(start, newline - start));
      start = newline + 1;
    }
    carry_.erase(0, start);
  }

  // Reads fd from its current offset to end of file.
  void drain(int fd, const std::string& path) {
    char buf[kReadBlock];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_errno("read " + path);
      if (n == 0) return;
      feed(std::string_view(buf, static_cast<size_t>(n)));
    }
  }

  // A file ended without a final newline (a rotated file cannot grow any more).
  void finish_file() {
    if (!carry_.empty() && !stopped_) handle_line(carry_);
    carry_.clear();
  }

 private:
  void handle_line(std::string_view line) {
    if (line.empty()) return;
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (!entry.is_object()) return;  // a torn or foreign line: skip it as dockerd does
    const auto log = entry.find("log");
    const auto stream = entry.find("stream");
    const auto time = entry.find("time");
    if (log == entry.end() || !log->is_string()) return;
    int64_t nanos = 0;
    if (time != entry.end() && time->is_string()) {
      try {
        nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    parse_rfc3339(time->get_ref<const std::string&>()).time_since_epoch())
                    .count();
      } catch (const Error&) {
        return;
      }
    }
    if (floor_ && nanos <= *floor_) return;
    last_seen_ = nanos;
    if (options_.since_nano && nanos < *options_.since_nano) return;
    if (options_.until_nano && nanos > *options_.until_nano) {
      stopped_ = true;  // entries are in time order: nothing later can qualify
      return;
    }
    const std::string stream_name =
        stream != entry.end() && stream->is_string() ? stream->get<std::string>() : "stdout";
    if (stream_name == "stdout" && !options_.stdout) return;
    if (stream_name == "stderr" && !options_.stderr) return;
    const auto& text = log->get_ref<const std::string&>();
    if (!options_.timestamps && !options_.details) {
      emit_(stream_name, text);
      return;
    }
    std::string prefix;
    if (options_.timestamps) prefix = fixed_nano_timestamp(nanos) + " ";
    if (options_.details) prefix += details(entry) + " ";
    emit_(stream_name, prefix + text);
  }

  // docker logs --details: the entry's attributes sorted by name, "k=v" joined by commas, each
  // part escaped as a URL query, as dockerd writes them.
  static std::string details(const nlohmann::json& entry) {
    std::string out;
    const auto attrs = entry.find("attrs");
    if (attrs == entry.end() || !attrs->is_object()) return out;
    for (const auto& [key, value] : attrs->items()) {
      if (!value.is_string()) continue;
      if (!out.empty()) out += ',';
      out += http::percent_encode(key, true) + "=" +
             http::percent_encode(value.get_ref<const std::string&>(), true);
    }
    return out;
  }

  const LogReadOptions& options_;
  const std::function<void(std::string_view, std::string_view)>& emit_;
  std::string carry_;
  bool stopped_ = false;
  std::optional<int64_t> floor_;
  int64_t last_seen_ = INT64_MIN;
};

bool compressed(const std::string& name) {
  return name.ends_with(".gz");
}

// Existing log files, oldest first: path.N … path.1, path. A rotated file is path.i, or path.i.gz
// with compress (path.1 stays plain while it is being compressed).
std::vector<std::string> log_files(const std::string& path) {
  std::vector<std::string> rotated;
  for (int i = 1;; ++i) {
    std::string name = path + "." + std::to_string(i);
    if (::access(name.c_str(), F_OK) != 0) name += ".gz";
    if (::access(name.c_str(), F_OK) != 0) break;
    rotated.push_back(name);
  }
  std::vector<std::string> files(rotated.rbegin(), rotated.rend());
  files.push_back(path);
  return files;
}

// A log file to read from its start: a gzipped one is read through an uncompressed copy. Returns
// no descriptor (errno set) when the file is not there.
UniqueFd open_log_file(const std::string& name) {
  if (!compressed(name)) {
    UniqueFd fd(::open(name.c_str(), O_RDONLY | O_CLOEXEC));
    // A rotated file may have been compressed since it was listed.
    if (fd || errno != ENOENT || ::access((name + ".gz").c_str(), F_OK) != 0) return fd;
    return gunzip_to_temp_file(name + ".gz");
  }
  if (::access(name.c_str(), F_OK) != 0) return UniqueFd();
  return gunzip_to_temp_file(name);
}

// Offset in fd where its last `wanted` lines start; `found` says how many lines that covers (fewer
// when the file is shorter).
off_t tail_offset(int fd, off_t size, int64_t wanted, int64_t& found, const std::string& path) {
  found = 0;
  if (wanted <= 0 || size == 0) return size;
  char buf[kReadBlock];
  off_t end = size;
  bool last_byte = true;
  while (end > 0) {
    const off_t begin = end > static_cast<off_t>(kReadBlock) ? end - kReadBlock : 0;
    const auto length = static_cast<size_t>(end - begin);
    ssize_t n = ::pread(fd, buf, length, begin);
    if (n < 0) throw_errno("read " + path);
    if (static_cast<size_t>(n) != length) throw Error("log file shrank while reading: " + path);
    for (size_t i = length; i-- > 0;) {
      if (buf[i] != '\n') {
        last_byte = false;
        continue;
      }
      // The newline ending the file's last line starts nothing after it.
      if (last_byte) {
        last_byte = false;
        continue;
      }
      if (++found == wanted) return begin + static_cast<off_t>(i) + 1;
    }
    end = begin;
  }
  ++found;  // the file's first line
  return 0;
}

}  // namespace

void read_json_log(const std::string& path, const LogReadOptions& options,
                   const std::function<void(std::string_view stream, std::string_view text)>& emit,
                   const std::function<bool()>& keep_following) {
  Reader reader(options, emit);
  const auto files = log_files(path);

  // Where reading starts: the whole history, or enough of its end to hold the last N lines.
  size_t first_file = 0;
  std::vector<off_t> start_offset(files.size(), 0);
  std::vector<UniqueFd> opened(files.size());
  if (options.tail) {
    int64_t wanted = std::max<int64_t>(*options.tail, 0);
    first_file = files.size();
    for (size_t i = files.size(); i-- > 0 && wanted >= 0;) {
      UniqueFd& fd = opened[i];  // kept for the read below: a gzipped file is unpacked once
      fd = open_log_file(files[i]);
      if (!fd) continue;
      struct stat st {};
      if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + files[i]);
      int64_t found = 0;
      start_offset[i] = tail_offset(fd.get(), st.st_size, wanted, found, files[i]);
      first_file = i;
      wanted -= found;
      if (wanted <= 0) break;
    }
    if (first_file == files.size()) first_file = files.size() - 1;
  }

  UniqueFd current;
  ino_t current_inode = 0;
  for (size_t i = first_file; i < files.size(); ++i) {
    UniqueFd fd = opened[i] ? std::move(opened[i]) : open_log_file(files[i]);
    if (!fd) {
      if (errno == ENOENT) continue;
      throw_errno("open " + files[i]);
    }
    if (::lseek(fd.get(), start_offset[i], SEEK_SET) < 0) throw_errno("seek " + files[i]);
    reader.drain(fd.get(), files[i]);
    if (i + 1 < files.size()) {
      reader.finish_file();
      continue;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat " + files[i]);
    current_inode = st.st_ino;
    current = std::move(fd);
  }
  if (!options.follow || reader.stopped()) {
    reader.finish_file();
    return;
  }

  // Follow: poll the live file for growth. When the writer rotates, finish the old file through
  // the descriptor we hold, then read the rotated files, oldest first, for the entries newer than
  // the last one read: several rotations may pass between two polls, and a rotated file may be a
  // gzipped copy of one already read. The entries' times, which only grow, tell what is new.
  for (;;) {
    const bool keep = keep_following();
    if (current) reader.drain(current.get(), path);
    if (reader.stopped()) return;
    // Held open while the rotated files are read, so that its inode stays its own.
    UniqueFd live(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat live_st {};
    const bool rotated =
        live && ::fstat(live.get(), &live_st) == 0 && (!current || live_st.st_ino != current_inode);
    if (rotated) {
      if (current) {
        reader.drain(current.get(), path);  // what came between the last read and rotation
        reader.finish_file();
        current.reset();
      }
      // The rotated files as they stand while this live file is the live one: opened all before
      // any is read, again if the writer rotated meanwhile (names move at each rotation).
      std::vector<std::pair<std::string, UniqueFd>> files_now;
      for (;;) {
        files_now.clear();
        auto names = log_files(path);
        names.pop_back();
        for (const auto& name : names) {
          // A gzipped file whose last entry was read already: no need to decompress it.
          if (compressed(name))
            if (const auto last = gzip_last_time(name); last && *last <= reader.last_seen())
              continue;
          if (UniqueFd fd = open_log_file(name)) files_now.emplace_back(name, std::move(fd));
        }
        struct stat now {};
        if (::stat(path.c_str(), &now) == 0 && now.st_ino == live_st.st_ino) break;
        live.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!live || ::fstat(live.get(), &live_st) != 0) break;
      }
      for (auto& [name, fd] : files_now) {
        reader.pass_over_through(reader.last_seen());
        reader.drain(fd.get(), name);
        reader.finish_file();
      }
      if (live) {
        current = std::move(live);
        current_inode = live_st.st_ino;
        reader.pass_over_through(reader.last_seen());
        reader.drain(current.get(), path);
      }
      reader.pass_over_through(std::nullopt);
      continue;  // look again at once: the container may have stopped meanwhile
    }
    if (!keep) {
      reader.finish_file();
      return;
    }
    if (options.until_nano && std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                      .count() > *options.until_nano) {
      return;
    }
    if (current && live && ::lseek(current.get(), 0, SEEK_CUR) > live_st.st_size)
      ::lseek(current.get(), 0, SEEK_SET);  // truncated (max-file 1)
    std::this_thread::sleep_for(kFollowPoll);
  }
}

}  // namespace berth::engine
