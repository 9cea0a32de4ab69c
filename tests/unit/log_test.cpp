#include "common/log.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "common/error.hpp"

using namespace berth;
namespace fs = std::filesystem;

namespace {

// Points the logger at a fresh file for one test and restores stderr and the level afterwards.
class LogToFile {
 public:
  LogToFile() {
    std::string pattern = (fs::temp_directory_path() / "berth-log-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    path_ = (dir_ / "berth.log").string();
  }
  ~LogToFile() {
    log::set_output_stderr();
    log::set_level(log::Level::Info);
    fs::remove_all(dir_);
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> lines() const {
    std::ifstream in(path_);
    std::vector<std::string> result;
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }

 private:
  fs::path dir_;
  std::string path_;
};

const std::regex kTimestamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )");

std::string without_timestamp(const std::string& line) {
  std::smatch match;
  REQUIRE(std::regex_search(line, match, kTimestamp));
  return match.suffix();
}

}  // namespace

TEST_CASE("log levels parse from strings", "[log]") {
  CHECK(log::parse_level("debug") == log::Level::Debug);
  CHECK(log::parse_level("info") == log::Level::Info);
  CHECK(log::parse_level("warn") == log::Level::Warn);
  CHECK(log::parse_level("warning") == log::Level::Warn);
  CHECK(log::parse_level("error") == log::Level::Error);
  CHECK_THROWS_WITH(log::parse_level("loud"), Catch::Contains("invalid log level \"loud\""));

  log::set_level("error");
  CHECK_THROWS_AS(log::set_level("INFO "), InvalidArgument);
  CHECK(log::level() == log::Level::Error);  // a bad name leaves the level alone
  log::set_level(log::Level::Info);
}

TEST_CASE("log lines go to the file with time, level, message and fields", "[log]") {
  LogToFile output;
  log::set_output_file(output.path());
  log::set_level("info");
  log::debug("hidden");
  log::info("container started",
            {{"id", std::string("abc123")}, {"name", "my app"}, {"pid", 42}, {"tty", false}});
  log::warn("multi\nline", {{"empty", ""}, {"quote", "say \"hi\"\n"}});
  log::error("failed");

  auto lines = output.lines();
  REQUIRE(lines.size() == 3);
  CHECK(without_timestamp(lines[0]) ==
        "info container started id=abc123 name=\"my app\" pid=42 tty=false");
  CHECK(without_timestamp(lines[1]) == "warn multi\\nline empty=\"\" quote=\"say \\\"hi\\\"\\n\"");
  CHECK(without_timestamp(lines[2]) == "error failed");
}

TEST_CASE("the log level filters lower levels", "[log]") {
  LogToFile output;
  log::set_output_file(output.path());
  log::set_level(log::Level::Warn);
  CHECK_FALSE(log::enabled(log::Level::Info));
  log::debug("d");
  log::info("i");
  log::warn("w");
  log::error("e");
  log::set_level(log::Level::Debug);
  log::debug("d2");

  auto lines = output.lines();
  REQUIRE(lines.size() == 3);
  CHECK(without_timestamp(lines[0]) == "warn w");
  CHECK(without_timestamp(lines[1]) == "error e");
  CHECK(without_timestamp(lines[2]) == "debug d2");
}

TEST_CASE("the log file is appended to and lines from threads never interleave", "[log]") {
  LogToFile output;
  {
    std::ofstream existing(output.path());
    existing << "earlier line\n";
  }
  log::set_output_file(output.path());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) log::info("event", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& thread : threads) thread.join();

  auto lines = output.lines();
  REQUIRE(lines.size() == 1 + 8 * 200);
  CHECK(lines[0] == "earlier line");
  const std::regex shape(R"(^info event thread=\d i=\d+$)");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    INFO(lines[i]);
    REQUIRE(std::regex_match(without_timestamp(lines[i]), shape));
  }
}

TEST_CASE("set_output_file reports a path it cannot open", "[log]") {
  CHECK_THROWS_AS(log::set_output_file("/no/such/dir/berth.log"), SystemError);
}
