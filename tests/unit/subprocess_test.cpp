#include "common/subprocess.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "common/error.hpp"

using namespace berth;
using namespace std::chrono_literals;

namespace {

std::string read_all(UniqueFd& fd) {
  std::string data;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    REQUIRE(n >= 0);
    if (n == 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
  }
}

SpawnOptions sh(const std::string& script) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", script};
  return options;
}

// Spawns `options` with stdout on a pipe and returns what the child printed.
std::string spawn_output(SpawnOptions options) {
  options.stdout_io = Stdio::pipe();
  Process process = spawn(options);
  std::string out = read_all(process.stdout_pipe());
  CHECK(process.wait().success());
  return out;
}

}  // namespace

TEST_CASE("exit codes of true and false", "[subprocess]") {
  SpawnOptions t;
  t.argv = {"true"};
  t.search_path = true;
  ExitStatus ok = spawn(t).wait();
  CHECK(ok.exited);
  CHECK(ok.code == 0);
  CHECK(ok.success());

  SpawnOptions f;
  f.argv = {"false"};
  f.search_path = true;
  ExitStatus failed = spawn(f).wait();
  CHECK(failed.exited);
  CHECK(failed.code == 1);
  CHECK_FALSE(failed.success());
  CHECK(failed.describe() == "exit status 1");

  CHECK(run_capture({"sh", "-c", "exit 42"}).status.shell_code() == 42);
}

TEST_CASE("a child killed by a signal reports it", "[subprocess]") {
  ExitStatus status = spawn(sh("kill -TERM $$")).wait();
  CHECK_FALSE(status.exited);
  CHECK(status.signaled);
  CHECK(status.signal == SIGTERM);
  CHECK(status.shell_code() == 128 + SIGTERM);
  CHECK(status.describe().find("signal 15") != std::string::npos);
}

TEST_CASE("run_capture reads large stdout and stderr without deadlock", "[subprocess]") {
  // stderr is filled first: a reader that drained only stdout would block forever.
  auto result = run_capture(sh("head -c 2000000 /dev/zero | tr '\\0' e >&2; "
                               "head -c 3000000 /dev/zero | tr '\\0' o"),
                            {}, 10s);
  CHECK(result.status.success());
  REQUIRE(result.stderr_data.size() == 2000000);
  REQUIRE(result.stdout_data.size() == 3000000);
  CHECK(result.stderr_data.find_first_not_of('e') == std::string::npos);
  CHECK(result.stdout_data.find_first_not_of('o') == std::string::npos);
}

TEST_CASE("run_capture feeds stdin while reading stdout", "[subprocess]") {
  std::string input;
  for (int i = 0; input.size() < 2'500'000; ++i) input += std::to_string(i) + "\n";
  auto result = run_capture({"cat"}, input, 10s);
  CHECK(result.status.success());
  CHECK(result.stdout_data == input);

  // A child that stops reading early is not an error for us (and must not kill us with SIGPIPE).
  auto partial = run_capture({"head", "-c", "5"}, input, 10s);
  CHECK(partial.status.success());
  CHECK(partial.stdout_data == "0\n1\n2");
}

TEST_CASE("environment is added to or replaces the parent's", "[subprocess]") {
  ::setenv("BERTH_SUBPROCESS_PARENT", "from-parent", 1);
  SpawnOptions added = sh("echo \"$BERTH_SUBPROCESS_PARENT/$BERTH_SUBPROCESS_CHILD\"");
  added.env = {{"BERTH_SUBPROCESS_CHILD", "from-child"}};
  CHECK(run_capture(added).stdout_data == "from-parent/from-child\n");

  SpawnOptions replaced = added;
  replaced.clear_env = true;
  CHECK(run_capture(replaced).stdout_data == "/from-child\n");

  SpawnOptions overridden = added;
  overridden.env = {{"BERTH_SUBPROCESS_PARENT", "overridden"}};
  CHECK(run_capture(overridden).stdout_data == "overridden/\n");
  ::unsetenv("BERTH_SUBPROCESS_PARENT");

  SpawnOptions bad = sh("true");
  bad.env = {{"A=B", "x"}};
  CHECK_THROWS_AS(spawn(bad), InvalidArgument);
}

TEST_CASE("the child runs in the requested working directory", "[subprocess]") {
  auto dir = std::filesystem::canonical(std::filesystem::temp_directory_path());
  SpawnOptions options = sh("pwd -P");
  options.cwd = dir.string();
  CHECK(run_capture(options).stdout_data == dir.string() + "\n");

  options.cwd = "/no/such/dir";
  try {
    spawn(options);
    FAIL("spawn with a missing cwd succeeded");
  } catch (const SystemError& e) {
    CHECK(e.code() == ENOENT);
    CHECK(std::string(e.what()) == "chdir /no/such/dir for /bin/sh: No such file or directory");
  }
}

TEST_CASE("a parent fd is passed at child fd 3", "[subprocess]") {
  auto [read_end, write_end] = make_pipe();
  SpawnOptions options = sh("echo hi >&3");
  options.extra_fds = {{3, write_end.get()}};
  Process process = spawn(options);
  write_end.reset();  // the child holds the only write end now, so EOF means it is done
  CHECK(read_all(read_end) == "hi\n");
  CHECK(process.wait().success());
}

TEST_CASE("fd mappings that swap numbers do not clobber each other", "[subprocess]") {
  auto [read_a, write_a] = make_pipe();
  auto [read_b, write_b] = make_pipe();
  // Put the write ends at 50 and 51, then ask for them crossed over.
  UniqueFd at_50(::fcntl(write_a.get(), F_DUPFD_CLOEXEC, 50));
  REQUIRE(at_50.get() == 50);
  UniqueFd at_51(::fcntl(write_b.get(), F_DUPFD_CLOEXEC, 51));
  REQUIRE(at_51.get() == 51);
  write_a.reset();
  write_b.reset();
  // dash only parses single-digit fds in >&N, so reach them through /proc instead.
  SpawnOptions options = sh("echo to50 > /proc/self/fd/50; echo to51 > /proc/self/fd/51");
  options.extra_fds = {{50, 51}, {51, 50}};
  Process process = spawn(options);
  at_50.reset();
  at_51.reset();
  CHECK(read_all(read_b) == "to50\n");
  CHECK(read_all(read_a) == "to51\n");
  CHECK(process.wait().success());
}

TEST_CASE("fds not named in the options are closed in the child", "[subprocess]") {
  auto [read_end, write_end] = make_pipe();
  UniqueFd inheritable(::fcntl(write_end.get(), F_DUPFD, 40));  // deliberately without FD_CLOEXEC
  REQUIRE(inheritable);
  std::string path = "/proc/self/fd/" + std::to_string(inheritable.get());
  CHECK(spawn_output(sh("[ -e " + path + " ] && echo leaked || echo closed")) == "closed\n");
}

TEST_CASE("stdio can be /dev/null or a given fd", "[subprocess]") {
  SpawnOptions options = sh("cat; echo done");
  options.stdin_io = Stdio::null();
  CHECK(spawn_output(options) == "done\n");

  auto [read_end, write_end] = make_pipe();
  SpawnOptions to_fd = sh("echo err >&2");
  to_fd.stderr_io = Stdio::from_fd(write_end.get());
  CHECK(spawn(to_fd).wait().success());
  write_end.reset();
  CHECK(read_all(read_end) == "err\n");
}

TEST_CASE("new_session makes the child a session leader", "[subprocess]") {
  SpawnOptions options =
      sh("read -r pid comm state ppid pgrp session rest < /proc/$$/stat; "
         "echo $session");
  options.new_session = true;
  options.stdout_io = Stdio::pipe();
  Process process = spawn(options);
  CHECK(read_all(process.stdout_pipe()) == std::to_string(process.pid()) + "\n");
  CHECK(process.wait().success());
}

TEST_CASE("exec failure throws naming the program", "[subprocess]") {
  SpawnOptions missing;
  missing.argv = {"/no/such"};
  try {
    spawn(missing);
    FAIL("spawn of a missing program succeeded");
  } catch (const SystemError& e) {
    CHECK(e.code() == ENOENT);
    CHECK(std::string(e.what()) == "exec /no/such: No such file or directory");
  }

  SpawnOptions not_in_path;
  not_in_path.argv = {"berth-no-such-program"};
  not_in_path.search_path = true;
  CHECK_THROWS_WITH(spawn(not_in_path), Catch::Contains("berth-no-such-program"));

  std::string plain_file =
      std::filesystem::temp_directory_path() / "berth-subprocess-not-executable";
  UniqueFd created(::open(plain_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(created);
  created.reset();  // an fd open for writing would make exec fail with ETXTBSY instead
  SpawnOptions not_executable;
  not_executable.argv = {plain_file};
  try {
    spawn(not_executable);
    FAIL("exec of a non-executable file succeeded");
  } catch (const SystemError& e) {
    CHECK(e.code() == EACCES);
  }
  std::filesystem::remove(plain_file);

  CHECK_THROWS_AS(spawn(SpawnOptions{}), InvalidArgument);
}

TEST_CASE("run_capture kills the child at the timeout", "[subprocess]") {
  auto start = std::chrono::steady_clock::now();
  try {
    run_capture({"sleep", "30"}, {}, 200ms);
    FAIL("sleep 30 finished within 200ms");
  } catch (const Timeout& e) {
    CHECK_THAT(e.what(), Catch::Contains("sleep 30") && Catch::Contains("200ms"));
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 200ms);
  CHECK(elapsed < 700ms);

  // A background grandchild keeps the output pipes open; the deadline must still hold.
  SpawnOptions group = sh("sleep 30 & sleep 30");
  group.new_session = true;
  start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(run_capture(group, {}, 200ms), Timeout);
  CHECK(std::chrono::steady_clock::now() - start < 700ms);
}

TEST_CASE("wait_for, kill and try_wait", "[subprocess]") {
  SpawnOptions options;
  options.argv = {"sleep", "30"};
  options.search_path = true;
  Process process = spawn(options);
  CHECK_FALSE(process.try_wait());
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(process.wait_for(100ms));
  CHECK(std::chrono::steady_clock::now() - start >= 100ms);
  process.kill(SIGKILL);
  auto status = process.wait_for(5s);
  REQUIRE(status);
  CHECK(status->signaled);
  CHECK(status->signal == SIGKILL);
  process.kill(SIGKILL);  // already reaped: a no-op, never a signal to a recycled pid
  CHECK(process.wait().signal == SIGKILL);
}

TEST_CASE("destroying a Process kills and reaps it unless detached", "[subprocess]") {
  SpawnOptions options;
  options.argv = {"sleep", "30"};
  options.search_path = true;
  pid_t pid;
  {
    Process process = spawn(options);
    pid = process.pid();
  }
  int status;
  CHECK(::waitpid(pid, &status, WNOHANG) == -1);  // already reaped by the destructor
  CHECK(errno == ECHILD);

  options.argv = {"true"};
  {
    Process process = spawn(options);
    pid = process.pid();
    process.detach();
  }
  REQUIRE(::waitpid(pid, &status, 0) == pid);  // still ours to reap, and it ran to completion
  CHECK(ExitStatus::from_wait_status(status).success());
}
