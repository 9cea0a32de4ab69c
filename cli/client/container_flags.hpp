#pragma once
// The flags of `berth run` / `berth create` and the POST /containers/create body they make, field
// for field as the docker CLI 28 fills it (see reference/docker-cli-requests.md, run_rich).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace CLI {
class App;
}

namespace berth::cli::client {

struct ContainerFlags {
  // run only
  bool detach = false;
  bool rm = false;
  std::vector<std::string> attach;  // -a STDIN/STDOUT/STDERR
  bool sig_proxy = true;
  // create and run
  bool interactive = false, tty = false, init = false, privileged = false, read_only = false,
       publish_all = false;
  std::string name, workdir, user, restart = "no", network, hostname, memory, memory_swap, shm_size,
                                   cpus, cpuset_cpus, log_driver, stop_signal, platform,
                                   pull = "missing", health_cmd, health_interval, cgroupns, ipc,
                                   pid, uts, mac_address;
  std::optional<std::string> entrypoint;
  std::optional<std::int64_t> pids_limit, stop_timeout, cpu_shares;
  std::vector<std::string> publish, volumes, env, env_files, cap_add, cap_drop, tmpfs, labels, dns,
      dns_search, dns_option, add_host, expose, mounts, security_opt, ulimits, sysctls, log_opts,
      group_add, network_alias, devices, links;
};

// Registers the flags on `cmd`; `run` adds run's own (-d, --rm, -a, --sig-proxy).
void add_container_flags(CLI::App& cmd, ContainerFlags& flags, bool run);

struct CreateInputs {
  std::string image;
  std::vector<std::string> command;        // after the image; empty = the image's
  std::pair<int, int> console_size{0, 0};  // rows, columns of our terminal (with -t)
  // Environment lookups for `-e NAME` and env files; file reading for --env-file.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::function<std::string(const std::string& path)> read_file;
};

// Throws InvalidArgument naming the flag and value for anything malformed ("invalid port …").
Json create_body(const ContainerFlags& flags, const CreateInputs& inputs);

// docker's RAMInBytes: "64m", "1g", "512k", "100" (bytes), case-insensitive, optional trailing b.
std::int64_t parse_memory(const std::string& text);
// "0.5" CPUs → NanoCpus.
std::int64_t parse_nano_cpus(const std::string& text);
// Lines of an --env-file: KEY=VALUE kept, KEY alone taken from the environment when set,
// blank lines and # comments skipped.
std::vector<std::string> parse_env_file(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

}  // namespace berth::cli::client
