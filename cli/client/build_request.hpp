#pragma once
// The query of POST /build as the docker CLI (legacy builder) writes it: keys in Go's
// url.Values order (sorted), t repeated per tag, buildargs and labels as JSON objects, the flags
// that are off left out, version=1 always.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace berth::cli::client {

struct BuildOptions {
  std::vector<std::string> tags, build_args, labels, extra_hosts;
  std::string dockerfile = "Dockerfile";  // inside the context, '/'-separated
  std::string target, network, platform;
  bool quiet = false, no_cache = false, pull = false, remove = true, force_remove = false;
};

// `getenv` supplies --build-arg NAME without a value (docker takes it from the environment,
// null when unset).
std::string build_query(
    const BuildOptions& options,
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

}  // namespace berth::cli::client
