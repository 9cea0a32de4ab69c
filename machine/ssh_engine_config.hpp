#pragma once
// What the provisioner writes on a machine, as pure functions of the request so unit tests check
// the exact bytes: the engine's daemon.json, its environment file, and the OS name.
#include <map>
#include <string>
#include <vector>

#include "machine/provisioner.hpp"

namespace berth::machine {

// Where things live on a provisioned machine. /etc/berth is on the data disk in berth VMs, and the
// guest agent runs /etc/berth/bin/berthd (berth-shim next to it) in preference to the image's.
inline constexpr const char* kRemoteConfigDir = "/etc/berth";
inline constexpr const char* kRemoteCertDir = "/etc/berth/certs";
inline constexpr const char* kRemoteBinDir = "/etc/berth/bin";
inline constexpr const char* kRemoteDaemonJson = "/etc/berth/daemon.json";
inline constexpr const char* kRemoteEngineEnv = "/etc/berth/engine.env";

// daemon.json: the unix socket and tcp://0.0.0.0:2376 with TLS verification against the machine's
// CA, then labels, insecure registries, mirrors and each --engine-opt key=value ("true"/"false"
// become booleans; a key given twice, or one berthd takes as a list, becomes a list). Throws
// InvalidArgument naming the malformed option.
std::string render_daemon_json(const EngineOptions& engine);

// KEY=value lines, one per --engine-env, for the engine's environment. Throws InvalidArgument for
// an entry that is not KEY=value.
std::string render_engine_env(const EngineOptions& engine);

// One file of the engine's configuration on a machine.
struct EngineConfigFile {
  std::string path;  // absolute, under /etc/berth
  std::string contents;
  int mode = 0600;
};

// Everything the engine's configuration consists of, in the order it must be written (the
// certificates before the daemon.json that names them): the CA and the server certificate and key
// from `machine_dir`, daemon.json and engine.env. The provisioner uploads those that differ from
// the machine's; create hands the same files to a driver that can seed the first boot with them.
// Throws NotFound naming a missing certificate, InvalidArgument for a malformed --engine-* option.
std::vector<EngineConfigFile> engine_config_files(const std::string& machine_dir,
                                                  const EngineOptions& engine);
// The two halves of it: the certificates, then daemon.json and engine.env.
std::vector<EngineConfigFile> certificate_files(const std::string& machine_dir);
std::vector<EngineConfigFile> engine_settings_files(const EngineOptions& engine);
// The paths of those files on the machine, in the same order.
std::vector<std::string> engine_config_paths();

// The same files keyed by their path relative to /etc/berth, as MachineSpec::engine_files wants.
std::map<std::string, std::string> first_boot_engine_files(const std::string& machine_dir,
                                                           const EngineOptions& engine);

// PRETTY_NAME from /etc/os-release text (quotes removed), else NAME, else "".
std::string os_pretty_name(const std::string& os_release);

}  // namespace berth::machine
