#pragma once
// Turns a Docker container (create body Config + HostConfig, and its image's config) into an OCI
// runtime spec (config.json) for crun/runc.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::engine {

struct OciSpecInput {
  nlohmann::json config;  // Docker Config as stored: Cmd, Entrypoint, Env, WorkingDir, User, Tty…
  nlohmann::json host_config;  // Docker HostConfig: Binds, Tmpfs, ReadonlyRootfs, Memory, NanoCpus,
                               // PidsLimit, CapAdd, CapDrop, Privileged, Init, ShmSize, …
  std::string rootfs;          // mounted overlay rootfs (absolute)
  std::string hostname;
  // Files bind-mounted into the container (Docker's way): /etc/hostname, /etc/hosts,
  // /etc/resolv.conf.
  std::string hostname_file, hosts_file, resolv_conf_file;
  // Network namespace: "" = new empty one (network none), "host" = the host's, else a path
  // (/run/berth/netns/<id>) prepared by the network manager.
  std::string network_namespace;
  std::string cgroups_path;  // e.g. "/berth/<id>" (cgroupfs driver)
  std::string init_path;     // a static init for --init (docker-init equivalent); "" when absent
  // The container's /etc/passwd and /etc/group, to resolve User names to uid/gid.
  std::string passwd_path, group_path;
  // The engine's seccomp default (berthd --seccomp-profile): "" for the built-in profile,
  // "unconfined", or a profile's JSON.
  std::string seccomp_default;
  // --pid / --ipc container:<donor>: the donor's namespace files (/proc/<pid>/ns/pid|ipc), and
  // for IPC its /dev/shm (/proc/<pid>/root/dev/shm), shared as dockerd shares them. "" otherwise.
  std::string pid_namespace, ipc_namespace, shared_shm;
  // --link's variables (legacy_links.hpp), between the engine's own and the container's Env.
  std::vector<std::string> link_env;
};

// dockerd's default /dev/shm size (64 MiB), shown in inspect as HostConfig.ShmSize.
inline constexpr int64_t kDefaultShmSizeBytes = 64 * 1024 * 1024;
// The paths masked and made read-only in a container that is not privileged.
nlohmann::json default_masked_paths();
nlohmann::json default_readonly_paths();

// Throws InvalidArgument naming the field for values the runtime would reject ("invalid user …",
// "invalid mount config: …").
nlohmann::json make_oci_spec(const OciSpecInput& input);

// The process part alone, for `docker exec` (Cmd, Env, User, WorkingDir, Tty, Privileged).
nlohmann::json make_exec_process(const nlohmann::json& exec_config, const OciSpecInput& container);

}  // namespace berth::engine
