#include "common/atomic_file.hpp"

#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>

#include "common/error.hpp"

using namespace berth;
namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "berth-atomic-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

mode_t file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("write_file_atomic writes contents with the exact mode", "[atomic_file]") {
  TempDir dir;
  std::string path = dir / "config.json";
  write_file_atomic(path, "{\"a\":1}", 0600);
  CHECK(read_file(path) == "{\"a\":1}");
  CHECK(file_mode(path) == 0600);

  // The umask must not weaken or strengthen the requested mode.
  mode_t old_umask = ::umask(077);
  write_file_atomic(path, "second", 0644);
  ::umask(old_umask);
  CHECK(read_file(path) == "second");
  CHECK(file_mode(path) == 0644);
  CHECK(dir.entries() == std::vector<std::string>{"config.json"});

  std::string binary("a\0b\xff", 4);
  write_file_atomic(path, binary);
  CHECK(read_file(path) == binary);
  write_file_atomic(path, "");
  CHECK(read_file(path).empty());
}

TEST_CASE("write_file_atomic leaves the old file untouched on failure", "[atomic_file]") {
  TempDir dir;
  std::string path = dir / "state";
  write_file_atomic(path, "old contents");

  SECTION("the target name is a non-empty directory") {
    std::string target = dir / "subdir";
    fs::create_directory(target);
    write_file_atomic(dir / "subdir/keep", "x");
    CHECK_THROWS_AS(write_file_atomic(target, "new"), SystemError);
    CHECK(fs::is_directory(target));
    CHECK(dir.entries() == std::vector<std::string>{"state", "subdir"});
  }

  SECTION("the directory does not exist") {
    try {
      write_file_atomic(dir / "missing/state", "new");
      FAIL("write into a missing directory succeeded");
    } catch (const SystemError& e) {
      CHECK(e.code() == ENOENT);
      CHECK_THAT(e.what(), Catch::Contains("missing/state"));
    }
    CHECK(dir.entries() == std::vector<std::string>{"state"});
  }

  SECTION("the write itself fails") {
    // RLIMIT_FSIZE binds root too: writes past it fail with EFBIG (SIGXFSZ ignored meanwhile).
    struct rlimit old_limit {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    struct rlimit small = old_limit;
    small.rlim_cur = 4;
    auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    bool threw = false;
    try {
      write_file_atomic(path, "new contents that are too long");
    } catch (const SystemError& e) {
      threw = true;
      CHECK(e.code() == EFBIG);
    }
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    std::signal(SIGXFSZ, old_handler);
    CHECK(threw);
  }

  CHECK(read_file(path) == "old contents");
  auto entries = dir.entries();
  CHECK(std::none_of(entries.begin(), entries.end(),
                     [](const std::string& name) { return name.find(".tmp-") != name.npos; }));
}

TEST_CASE("read_file distinguishes missing files from other errors", "[atomic_file]") {
  TempDir dir;
  CHECK_THROWS_AS(read_file(dir / "absent"), NotFound);
  CHECK_THROWS_WITH(read_file(dir / "absent"), Catch::Contains("absent"));
  try {
    read_file(dir / "");
    FAIL("reading a directory succeeded");
  } catch (const NotFound&) {
    FAIL("a directory was reported as missing");
  } catch (const SystemError& e) {
    CHECK(e.code() == EISDIR);
  }
  // /proc files report size 0 but have contents.
  CHECK_FALSE(read_file("/proc/self/status").empty());
}

TEST_CASE("ensure_directory creates missing parents", "[atomic_file]") {
  TempDir dir;
  std::string nested = dir / "a/b/c";
  ensure_directory(nested, 0750);
  CHECK(fs::is_directory(nested));
  ensure_directory(nested);  // existing is fine
  ensure_directory(nested + "/");
  CHECK(fs::is_directory(dir / "a/b"));

  write_file_atomic(dir / "file", "x");
  try {
    ensure_directory(dir / "file/sub");
    FAIL("created a directory under a regular file");
  } catch (const SystemError& e) {
    CHECK(e.code() == ENOTDIR);
  }
  CHECK_THROWS_AS(ensure_directory(dir / "file"), SystemError);
}
