#pragma once
// Seccomp the way dockerd applies it. Every container gets berth's built-in profile (Docker's
// policy: an allow-list of ordinary system calls, the dangerous ones behind the capability that
// makes them legitimate) unless it is privileged or its HostConfig.SecurityOpt says otherwise:
//   seccomp=unconfined        no filter
//   seccomp=builtin           the built-in profile (also the default)
//   seccomp=<profile JSON>    a profile in Docker's format; the docker CLI reads the file named by
//                             `--security-opt seccomp=FILE` and sends its content here
// A profile in Docker's format (names, includes/excludes by capability, architecture and kernel
// version, archMap) becomes the OCI runtime spec's linux.seccomp for this host.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::engine {

// The parts of HostConfig.SecurityOpt dockerd understands, parsed as dockerd parses them.
struct SecurityOptions {
  bool no_new_privileges = false;
  std::string seccomp;   // "" (the daemon's default), "unconfined", "builtin" or a profile's JSON
  std::string apparmor;  // recorded; berth applies no AppArmor profile (see seccomp_security_info)
  std::vector<std::string> label;  // SELinux label options; recorded, not applied
};

// Throws InvalidArgument with dockerd's words for an option it would refuse
// ("invalid --security-opt 2: \"foo=bar\""), and for a custom profile that does not parse.
SecurityOptions parse_security_options(const nlohmann::json& host_config);

// The OCI linux.seccomp object for a container with these capabilities (its bounding set), or null
// for no filter. `daemon_default` is the engine's own default (--seccomp-profile): "" or "builtin"
// for the built-in profile, "unconfined", or a profile's JSON.
nlohmann::json oci_seccomp(const nlohmann::json& host_config,
                           const std::vector<std::string>& capabilities,
                           const std::string& daemon_default = "");

// Docker's format → OCI, for this machine's architecture and kernel. Throws InvalidArgument naming
// what is wrong with the profile.
nlohmann::json docker_profile_to_oci(const nlohmann::json& profile,
                                     const std::vector<std::string>& capabilities);

// The built-in profile in Docker's format (what `--security-opt seccomp=builtin` applies).
const nlohmann::json& builtin_seccomp_profile();

}  // namespace berth::engine
