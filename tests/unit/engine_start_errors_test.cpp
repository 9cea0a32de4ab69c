// What a user reads, and which exit code the container records, when the runtime refuses to start
// its process. Expected texts are dockerd 20.10's for the same containers (busybox, runc 1.1).
#include <catch2/catch.hpp>

#include "engine/containers/start_errors.hpp"

using namespace berth;
using namespace berth::engine;

namespace {
struct Outcome {
  std::string message;
  int exit_code = 0;  // 0: not a refusal (HTTP 500)
};

Outcome outcome(std::string_view runtime_message, std::string_view command) {
  try {
    throw_runtime_start_failure(runtime_message, command);
  } catch (const RuntimeStartRefused& e) {
    return {e.what(), e.exit_code()};
  } catch (const Error& e) {
    return {e.what(), 0};
  }
  return {};
}
}  // namespace

TEST_CASE("a missing command is refused with exit code 127 in dockerd's words", "[engine][start]") {
  const Outcome o = outcome(
      "runc run failed: unable to start container process: exec: \"nosuchcmd\": executable file "
      "not found in $PATH",
      "nosuchcmd");
  CHECK(o.message ==
        "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
        "start container process: exec: \"nosuchcmd\": executable file not found in $PATH: "
        "unknown");
  CHECK(o.exit_code == 127);
}

TEST_CASE("a command that cannot run is refused with exit code 126", "[engine][start]") {
  const Outcome o = outcome(
      "runc run failed: unable to start container process: exec: \"/etc\": permission denied",
      "/etc");
  CHECK(o.message ==
        "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
        "start container process: exec: \"/etc\": permission denied: unknown");
  CHECK(o.exit_code == 126);
}

TEST_CASE("a file mounted onto a directory gets dockerd's hint and exit code 127",
          "[engine][start]") {
  const Outcome o = outcome(
      "runc run failed: unable to start container process: error during container init: error "
      "mounting \"/tmp/f\" to rootfs at \"/etc\": mount /tmp/f:/etc (via /proc/self/fd/6), flags: "
      "0x5000: not a directory",
      "true");
  CHECK(o.message ==
        "failed to create shim task: OCI runtime create failed: runc create failed: unable to "
        "start container process: error during container init: error mounting \"/tmp/f\" to "
        "rootfs at \"/etc\": mount /tmp/f:/etc (via /proc/self/fd/6), flags: 0x5000: not a "
        "directory: unknown: Are you trying to mount a directory onto a file (or vice-versa)? "
        "Check if the specified host path exists and is the expected type");
  CHECK(o.exit_code == 127);
}

TEST_CASE("a missing file that is not the command is a plain failure", "[engine][start]") {
  // dockerd gives 127 only when the message names the command itself.
  const Outcome o = outcome(
      "runc run failed: unable to start container process: error during container init: open "
      "/dev/foo: no such file or directory",
      "true");
  CHECK(o.exit_code == 0);
  CHECK(
      o.message.starts_with("failed to create shim task: OCI runtime create failed: runc "
                            "create failed: unable to start container process"));
  // The command is compared as given, against the lowercased message, as dockerd does.
  CHECK(outcome("runc run failed: exec: \"Foo\": executable file not found in $PATH", "Foo")
            .exit_code == 0);
}

TEST_CASE("a terminal's runc create and other runtimes keep their own words", "[engine][start]") {
  CHECK(outcome("runc create failed: boom", "x").message ==
        "failed to create shim task: OCI runtime create failed: runc create failed: boom: "
        "unknown");
  // Only runc's leading command name is rewritten, never words further on.
  CHECK(outcome("crun: the run failed: x", "x").message ==
        "failed to create shim task: OCI runtime create failed: crun: the run failed: x: unknown");
}
