// json-file logs: the writer must produce dockerd's exact lines (escaping compared with a real
// dockerd's log of the same bytes), rotate like dockerd, and the reader must implement docker logs'
// tail/since/until/timestamps/follow semantics.
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "engine/containers/json_log.hpp"

using namespace berth::engine;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "berth-jsonlog-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
  }
  ~TempDir() { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The "log" field's raw JSON text in one line (up to ,"stream").
std::string raw_log_field(const std::string& line) {
  auto start = line.find("{\"log\":") + 7;
  auto end = line.find(",\"stream\":");
  return line.substr(start, end - start);
}

struct Entry {
  std::string stream, text;
};

std::vector<Entry> read_all(const std::string& path, LogReadOptions options = {}) {
  std::vector<Entry> entries;
  read_json_log(
      path, options,
      [&](std::string_view stream, std::string_view text) {
        entries.push_back({std::string(stream), std::string(text)});
      },
      [] { return false; });
  return entries;
}

std::vector<std::string> texts(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.text);
  return out;
}

// A log written by hand, with chosen times.
void write_fixture(const std::string& path) {
  std::ofstream out(path);
  out << R"({"log":"one\n","stream":"stdout","time":"2024-01-01T00:00:01Z"})"
         "\n"
      << R"({"log":"two\n","stream":"stderr","time":"2024-01-01T00:00:02.5Z"})"
         "\n"
      << "not json at all\n"
      << R"({"log":"three\n","stream":"stdout","time":"2024-01-01T00:00:03.123456789Z"})"
         "\n"
      << R"({"log":"four\n","stream":"stderr","time":"2024-01-01T00:00:04Z"})"
         "\n";
}

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kJan1 = 1704067200LL * kSecond;  // 2024-01-01T00:00:00Z

}  // namespace

TEST_CASE("json log: dockerd's line format", "[runtime]") {
  TempDir dir;
  const std::string path = dir.path("c-json.log");
  {
    JsonLogWriter writer(path);
    writer.write("stdout", "hello\n");
    writer.write("stderr", "oops\n");
  }
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 2);
  const std::regex format(
      R"(^\{"log":"hello\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z"\}$)");
  CHECK(std::regex_match(lines[0], format));
  CHECK(lines[1].starts_with(R"({"log":"oops\n","stream":"stderr","time":")"));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
}

TEST_CASE("json log: escaping matches dockerd byte for byte", "[runtime]") {
  TempDir dir;
  const std::string path = dir.path("c-json.log");
  {
    JsonLogWriter writer(path);
    // What a real dockerd logged for printf 'partiala<b>&\x01\t\xff\n'.
    writer.write("stdout", "partiala<b>&\x01\t\xff\n");
    writer.write("stdout", "q\"b\\s\r\n");
    writer.write("stdout", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \xe2\x80\xa8\n");
    writer.write("stdout", "bad \xc0\xaf \xed\xa0\x80 \xe2\x82\n");
  }
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 4);
  CHECK(raw_log_field(lines[0]) == R"("partiala\u003cb\u003e\u0026\u0001\u0009\ufffd\n")");
  CHECK(raw_log_field(lines[1]) == R"("q\"b\\s\r\n")");
  CHECK(raw_log_field(lines[2]) == "\"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80 \\u2028\\n\"");
  // Overlong, surrogate and truncated sequences: one U+FFFD per bad byte, as Go decodes them.
  CHECK(raw_log_field(lines[3]) == R"("bad \ufffd\ufffd \ufffd\ufffd\ufffd \ufffd\ufffd\n")");
  // And the reader gives back the original bytes (with U+FFFD for the invalid ones).
  auto entries = read_all(path);
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].text == "partiala<b>&\x01\t\xef\xbf\xbd\n");
  CHECK(entries[1].text == "q\"b\\s\r\n");
}

TEST_CASE("json log: lines are assembled per stream and partial lines wait or flush", "[runtime]") {
  TempDir dir;
  const std::string path = dir.path("c-json.log");
  JsonLogWriter writer(path);
  writer.write("stdout", "par");
  writer.write("stderr", "err line\n");
  writer.write("stdout", "tial\nsecond\nthi");
  CHECK(texts(read_all(path)) == std::vector<std::string>{"err line\n", "partial\n", "second\n"});
  writer.flush();
  auto entries = read_all(path);
  REQUIRE(entries.size() == 4);
  CHECK(entries[3].text == "thi");  // flushed without a newline, as dockerd logs a final partial
  CHECK(entries[3].stream == "stdout");

  SECTION("lines over 16 KiB are split like dockerd's partial messages") {
    writer.write("stdout", std::string(40000, 'x') + "\n");
    auto all = read_all(path);
    REQUIRE(all.size() == 7);
    CHECK(all[4].text == std::string(16384, 'x'));
    CHECK(all[5].text == std::string(16384, 'x'));
    CHECK(all[6].text == std::string(40000 - 2 * 16384, 'x') + "\n");
  }
}

TEST_CASE("json log: rotation by max-size into path.1 … path.N-1", "[runtime]") {
  TempDir dir;
  const std::string path = dir.path("c-json.log");

  SECTION("max-file 3") {
    {
      JsonLogWriter writer(path, {300, 3});
      for (int i = 0; i < 30; ++i) writer.write("stdout", "line " + std::to_string(i) + "\n");
    }
    CHECK(fs::exists(path));
    CHECK(fs::exists(path + ".1"));
    CHECK(fs::exists(path + ".2"));
    CHECK_FALSE(fs::exists(path + ".3"));
    for (const auto& f : {path, path + ".1", path + ".2"}) {
      auto size = fs::file_size(f);
      CHECK(size < 300 + 100);  // at most one entry past the limit, as dockerd
      CHECK(size > 0);
    }
    // What is left is the newest lines, contiguous and in order across the files.
    auto all = texts(read_all(path));
    REQUIRE(!all.empty());
    CHECK(all.back() == "line 29\n");
    const int first = std::stoi(all.front().substr(5));
    for (size_t i = 0; i < all.size(); ++i) {
      CHECK(all[i] == "line " + std::to_string(first + static_cast<int>(i)) + "\n");
    }
    LogReadOptions tail;
    tail.tail = 5;
    CHECK(texts(read_all(path, tail)) == std::vector<std::string>{"line 25\n", "line 26\n",
                                                                  "line 27\n", "line 28\n",
                                                                  "line 29\n"});
    tail.tail = static_cast<int64_t>(all.size()) - 1;  // reaches into the oldest file
    CHECK(texts(read_all(path, tail)).front() == all[1]);
  }
  SECTION("max-file 1 truncates") {
    {
      JsonLogWriter writer(path, {300, 1});
      for (int i = 0; i < 30; ++i) writer.write("stdout", "line " + std::to_string(i) + "\n");
    }
    CHECK_FALSE(fs::exists(path + ".1"));
    CHECK(fs::file_size(path) < 400);
    CHECK(texts(read_all(path)).back() == "line 29\n");
  }
  SECTION("reopening appends and keeps counting the existing size") {
    { JsonLogWriter(path, {300, 2}).write("stdout", std::string(290, 'a') + "\n"); }
    { JsonLogWriter(path, {300, 2}).write("stdout", "next\n"); }
    CHECK(fs::exists(path + ".1"));
    CHECK(texts(read_all(path)) ==
          std::vector<std::string>{std::string(290, 'a') + "\n", "next\n"});
  }
}

TEST_CASE("json log reader: tail, streams, since/until, timestamps", "[runtime]") {
  TempDir dir;
  const std::string path = dir.path("c-json.log");
  write_fixture(path);

  CHECK(texts(read_all(path)) == std::vector<std::string>{"one\n", "two\n", "three\n", "four\n"});
  LogReadOptions o;
  o.stderr = false;
  CHECK(texts(read_all(path, o)) == std::vector<std::string>{"one\n", "three\n"});
  o = {};
  o.stdout = false;
  auto err = read_all(path, o);
  REQUIRE(err.size() == 2);
  CHECK(err[0].stream == "stderr");

  o = {};
  o.tail = 2;
  CHECK(texts(read_all(path, o)) == std::vector<std::string>{"three\n", "four\n"});
  o.tail = 0;
  CHECK(read_all(path, o).empty());
  o.tail = 100;
  CHECK(read_all(path, o).size() == 4);
  // Tail counts entries before the stream filter, as dockerd does.
  o.tail = 1;
  o.stderr = false;
  CHECK(read_all(path, o).empty());

  o = {};
  o.since_nano = kJan1 + 2 * kSecond + kSecond / 2;  // exactly "two": inclusive
  o.until_nano = kJan1 + 3 * kSecond + 123456789;    // exactly "three": inclusive
  CHECK(texts(read_all(path, o)) == std::vector<std::string>{"two\n", "three\n"});

  o = {};
  o.timestamps = true;
  auto stamped = texts(read_all(path, o));
  CHECK(stamped[0] == "2024-01-01T00:00:01.000000000Z one\n");
  CHECK(stamped[1] == "2024-01-01T00:00:02.500000000Z two\n");
  CHECK(stamped[2] == "2024-01-01T00:00:03.123456789Z three\n");
}

TEST_CASE("json log reader: tail across rotated files", "[runtime]") {
  TempDir dir;
  const std::string path = dir.path("c-json.log");
  write_fixture(path + ".1");
  {
    std::ofstream out(path);
    out << R"({"log":"five\n","stream":"stdout","time":"2024-01-01T00:00:05Z"})"
           "\n"
        << R"({"log":"six\n","stream":"stdout","time":"2024-01-01T00:00:06Z"})"
           "\n";
  }
  LogReadOptions o;
  o.tail = 3;
  CHECK(texts(read_all(path, o)) == std::vector<std::string>{"four\n", "five\n", "six\n"});
  o.tail = 2;
  CHECK(texts(read_all(path, o)) == std::vector<std::string>{"five\n", "six\n"});
  o = {};
  CHECK(read_all(path, o).size() == 6);
}

TEST_CASE("json log reader: follow sees new lines and survives rotation", "[runtime]") {
  TempDir dir;
  const std::string path = dir.path("c-json.log");
  // Five files: the reader polls every 100 ms, and on a loaded machine several rotations (one per
  // two or three lines here) can pass between two polls; a file dropped before it was read would
  // lose lines, as it would with dockerd.
  JsonLogWriter writer(path, {200, 5});
  writer.write("stdout", "before\n");

  std::atomic<bool> writer_done{false};
  std::thread producer([&] {
    for (int i = 0; i < 20; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      writer.write(i % 2 ? "stderr" : "stdout", "live " + std::to_string(i) + "\n");
    }
    writer_done = true;
  });

  std::vector<std::string> seen;
  LogReadOptions o;
  o.follow = true;
  read_json_log(
      path, o, [&](std::string_view, std::string_view text) { seen.emplace_back(text); },
      [&] { return !writer_done.load(); });
  producer.join();

  REQUIRE(seen.size() == 21);
  CHECK(seen[0] == "before\n");
  for (int i = 0; i < 20; ++i)
    CHECK(seen[static_cast<size_t>(i) + 1] == "live " + std::to_string(i) + "\n");
  CHECK(fs::exists(path + ".1"));  // the follow really crossed a rotation
}
