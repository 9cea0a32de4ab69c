#pragma once
// berthd's options, from the command line (dockerd's flag names) and an optional JSON config file
// (daemon.json's keys). Flags given on the command line win over the file.
#include <map>
#include <string>
#include <vector>

namespace berth::engine {

struct DaemonConfig {
  std::vector<std::string> hosts;  // -H: unix:///run/berth/berth.sock, tcp://0.0.0.0:2376
  bool tls_verify = false;
  std::string tls_ca, tls_cert, tls_key;
  std::string data_root = "/var/lib/berth";
  std::string exec_root = "/run/berth";
  std::string config_file;
  std::string log_level = "info";
  std::string log_file;         // empty: stderr
  std::string default_runtime;  // empty: detect (crun where it can run, else runc)
  std::vector<std::string> labels;
  std::vector<std::string> insecure_registries;
  std::vector<std::string> registry_mirrors;
  std::string bridge_subnet = "172.17.0.0/16";
  std::string bridge_gateway = "172.17.0.1";
  std::string bridge_name = "berth0";
  std::vector<std::string> dns;  // --dns for containers; empty: from the host's resolv.conf
  std::string shim_path;         // berth-shim; empty: next to the berthd binary
  std::string init_path;  // static init for --init; empty: look for berth-init / docker-init / tini
  // Containers' default seccomp profile: "builtin" (berth's, Docker's policy), "unconfined", or the
  // path of a profile in Docker's format.
  std::string seccomp_profile = "builtin";

  // Parses argv (throws InvalidArgument naming an unknown or malformed flag), then merges the
  // config file when one is named (or exists at /etc/berth/daemon.json).
  static DaemonConfig from_args(int argc, char** argv);
  // Applies daemon.json keys ("hosts", "tlsverify", "data-root", …) for every option not set by a
  // flag.
  void merge_file(const std::string& path, const std::vector<std::string>& set_by_flags);
};

}  // namespace berth::engine
