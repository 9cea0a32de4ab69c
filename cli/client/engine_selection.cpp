#include "cli/client/engine_selection.hpp"

#include <cstdlib>

#include "common/error.hpp"

namespace berth::cli::client {

namespace {

std::optional<std::string> non_empty_env(const SelectionInputs& in, const std::string& key) {
  auto value = in.getenv ? in.getenv(key) : std::nullopt;
  if (value && value->empty()) return std::nullopt;
  return value;
}

EngineTarget machine_target(const std::string& name, const SelectionInputs& in) {
  if (!in.machine) throw InvalidArgument("no machine store to look up machine \"" + name + "\"");
  auto machine = in.machine(name);
  EngineTarget target;
  target.host = machine.url;
  target.tls = true;
  target.verify_server = true;
  target.ca_file = machine.cert_dir + "/ca.pem";
  target.cert_file = machine.cert_dir + "/cert.pem";
  target.key_file = machine.cert_dir + "/key.pem";
  target.machine_name = name;
  return target;
}

// Docker's TLS rules (cli/flags/options.go SetDefaultOptions): --tlsverify, given either way, or
// DOCKER_TLS_VERIFY turns TLS on; the default files come from DOCKER_CERT_PATH (or ~/.docker), and
// a default client certificate that does not exist is simply not presented.
void apply_tls(EngineTarget& target, const EngineFlags& flags, const SelectionInputs& in) {
  const bool verify = flags.tlsverify.value_or(non_empty_env(in, "DOCKER_TLS_VERIFY").has_value());
  target.tls = flags.tls || flags.tlsverify.has_value() || verify ||
               non_empty_env(in, "DOCKER_TLS").has_value();
  if (!target.tls) return;
  target.verify_server = verify;
  const std::string dir = non_empty_env(in, "DOCKER_CERT_PATH")
                              .value_or(in.home.empty() ? ".docker" : in.home + "/.docker");
  auto pick = [&](const std::optional<std::string>& flag, const char* file) {
    if (flag) return *flag;
    std::string path = dir + "/" + file;
    return !in.file_exists || in.file_exists(path) ? path : std::string();
  };
  target.ca_file = flags.tlscacert ? *flags.tlscacert : dir + "/ca.pem";
  target.cert_file = pick(flags.tlscert, "cert.pem");
  target.key_file = pick(flags.tlskey, "key.pem");
}

int part(const std::string& version, std::size_t index) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < index; ++i) {
    start = version.find('.', start);
    if (start == std::string::npos) return 0;
    ++start;
  }
  return std::atoi(version.c_str() + start);
}

}  // namespace

EngineTarget select_engine(const EngineFlags& flags, const SelectionInputs& in) {
  if (flags.host && flags.machine) {
    throw InvalidArgument("-H/--host and --machine both choose the engine: give only one");
  }
  EngineTarget target;
  if (flags.machine) {
    target = machine_target(*flags.machine, in);
  } else if (flags.host) {
    target.host = *flags.host;
    apply_tls(target, flags, in);
  } else if (auto host = non_empty_env(in, "DOCKER_HOST")) {
    target.host = *host;
    apply_tls(target, flags, in);
  } else if (auto name = non_empty_env(in, "BERTH_MACHINE_NAME")) {
    target = machine_target(*name, in);
  } else {
    target.host = kDefaultEngineHost;
    apply_tls(target, flags, in);
  }
  target.api_version = non_empty_env(in, "DOCKER_API_VERSION").value_or("");
  return target;
}

int compare_api_versions(const std::string& a, const std::string& b) {
  for (std::size_t i = 0; i < 3; ++i) {
    const int x = part(a, i), y = part(b, i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::string negotiate_api_version(const std::string& server) {
  const std::string advertised = server.empty() ? "1.24" : server;
  return compare_api_versions(advertised, kClientMaxApiVersion) < 0 ? advertised
                                                                    : kClientMaxApiVersion;
}

}  // namespace berth::cli::client
