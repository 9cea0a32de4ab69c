#pragma once
// Which engine a client command talks to, decided exactly as the docker CLI decides it, plus
// berth's machine store: -H/--host, then --machine, then DOCKER_HOST, then BERTH_MACHINE_NAME, then
// the local berthd socket. TLS follows docker's rules (--tls, --tlsverify, DOCKER_TLS,
// DOCKER_TLS_VERIFY, DOCKER_CERT_PATH with ca.pem/cert.pem/key.pem). Pure: the environment, the
// file system and the machine store come in through callbacks so unit tests can pin every case.
#include <functional>
#include <optional>
#include <string>

namespace berth::cli::client {

inline constexpr const char* kDefaultEngineHost = "unix:///run/berth/berth.sock";
// The newest Engine API this client speaks; a newer engine is talked to at this version.
inline constexpr const char* kClientMaxApiVersion = "1.50";

// The global flags as given on the command line; unset optionals mean "not given".
struct EngineFlags {
  std::optional<std::string> host;
  std::optional<std::string> machine;
  bool tls = false;
  std::optional<bool> tlsverify;  // --tlsverify or --tlsverify=false
  std::optional<std::string> tlscacert;
  std::optional<std::string> tlscert;
  std::optional<std::string> tlskey;
};

struct EngineTarget {
  std::string host;  // unix:///… or tcp://…
  bool tls = false;
  bool verify_server = false;  // only with tls
  std::string ca_file;         // used when verify_server
  std::string cert_file;       // client certificate; empty = none
  std::string key_file;
  std::string api_version;   // DOCKER_API_VERSION, pinned; empty = negotiate
  std::string machine_name;  // set when the target came from the machine store
};

// A machine from the store: its engine URL and the folder holding ca.pem, cert.pem, key.pem.
struct MachineEngine {
  std::string url;
  std::string cert_dir;
};

struct SelectionInputs {
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::function<bool(const std::string&)> file_exists;
  std::function<MachineEngine(const std::string& name)> machine;  // throws NotFound
  std::string home;  // for the default cert path ~/.docker
};

// Throws InvalidArgument for contradictory settings (e.g. -H together with --machine).
EngineTarget select_engine(const EngineFlags& flags, const SelectionInputs& inputs);

// Docker's version comparison on "MAJOR.MINOR" strings: negative, zero or positive.
int compare_api_versions(const std::string& a, const std::string& b);
// What the client speaks to an engine that advertises `server` (the Api-Version header, empty when
// missing, meaning 1.24): the older of the two.
std::string negotiate_api_version(const std::string& server);

}  // namespace berth::cli::client
