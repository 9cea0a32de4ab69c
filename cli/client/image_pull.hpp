#pragma once
// Pulling and pushing images as the docker CLI does (POST /images/create?fromImage=&tag=,
// POST /images/{name}/push?tag=), with X-Registry-Auth as docker sends it without stored
// credentials, and the engine's progress drawn through progress_output.
#include <string>

#include "cli/client/client_env.hpp"
#include "cli/client/progress_output.hpp"

namespace berth::cli::client {

// docker's X-Registry-Auth without credentials: base64url of "{}".
inline constexpr const char* kEmptyRegistryAuth = "e30=";

struct PullRequest {
  std::string reference;  // as the user typed it ("busybox", "localhost:5000/x:1")
  bool all_tags = false;
  std::string platform;  // "" or "linux/amd64" (sent lower-cased, as docker)
};

// Sends the pull and renders its progress on `screen`; engine errors (the status or an error in
// the stream) throw.
void pull_with_progress(ClientEnv& env, const PullRequest& request, const ProgressScreen& screen);

// Refuses what docker refuses before any request: a tag with -a, upper-case repository names.
void check_reference(const std::string& reference, bool all_tags);

}  // namespace berth::cli::client
