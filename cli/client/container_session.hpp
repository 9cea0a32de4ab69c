#pragma once
// Creating, starting and attaching to containers the way `docker run` sequences them: create
// (pulling a missing image first), attach before start, wait opened before start, start, then
// the container's exit code. Shared by run, create, start -a and attach.
#include <string>
#include <vector>

#include "cli/client/client_env.hpp"
#include "cli/client/container_flags.hpp"

namespace berth::cli::client {

// POST /containers/create; on "No such image" prints docker's "Unable to find image" line, pulls
// and tries again. Prints the engine's warnings to stderr. Returns the new container's ID.
std::string create_container(ClientEnv& env, const ContainerFlags& flags, const std::string& image,
                             const std::vector<std::string>& command);

// Pulls `reference` (POST /images/create), printing progress lines to `progress`; an error in
// the stream throws.
void pull_image(ClientEnv& env, const std::string& reference, std::ostream& progress);

// docker's exit code for a container that failed to start: 127 for a missing command, 126 for
// one that cannot be run, else 125.
int start_failure_exit_code(const std::string& message);

struct AttachPlan {
  bool tty = false;
  bool stdin = false, stdout = true, stderr = true;
  bool sig_proxy = true;
  std::string wait_condition;  // "" = do not wait (attach reads State.ExitCode afterwards)
  bool start = false;          // start the container once attached
};

// Attaches, optionally starts, pumps the streams and returns the container's exit code.
// Start failures print "berth: Error response from daemon: …." and return docker's code.
int attach_and_run(ClientEnv& env, const std::string& id, const AttachPlan& plan);

// The ID of a container name or ID prefix (GET /containers/NAME/json).
Json inspect_container(ClientEnv& env, const std::string& name);

}  // namespace berth::cli::client
