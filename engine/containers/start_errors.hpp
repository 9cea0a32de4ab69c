#pragma once
// A container start that the OCI runtime refused, told to the user as dockerd tells it.
//
// dockerd passes the runtime's message on through containerd, which wraps it: "failed to create
// shim task: OCI runtime create failed: runc create failed: <what runc says>: unknown". Then it
// sorts the failure (daemon/start.go, translateContainerdStartErr). A missing command records exit
// code 127 and a command that cannot run 126, and both answer 400. A file mounted onto a directory,
// or the other way round, records 127, answers 400 and gets a hint. Anything else records 128 and
// answers 500. The docker CLI takes its own exit code (127, 126 or 125) from these words, and
// scripts grep them, so berthd keeps them.
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::engine {

// A refusal dockerd blames on the container's configuration (HTTP 400).
class RuntimeStartRefused : public InvalidArgument {
 public:
  RuntimeStartRefused(const std::string& message, int exit_code)
      : InvalidArgument(message), exit_code_(exit_code) {}
  int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

// The exit code a start that failed for any other reason records, as dockerd's does.
constexpr int kContainerStartFailedExitCode = 128;

// Throws RuntimeStartRefused or Error for the runtime's message about starting `command` (the
// container's Path: its entrypoint, else its command).
[[noreturn]] void throw_runtime_start_failure(std::string_view runtime_message,
                                              std::string_view command);

}  // namespace berth::engine
