#include "engine/daemon/daemon_config.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

namespace berth::engine {

DaemonConfig DaemonConfig::from_args(int argc, char** argv) {
  DaemonConfig c;
  CLI::App app{"berthd: the berth container engine (Docker Engine API 1.24-1.50)", "berthd"};
  app.set_version_flag("-v,--version", std::string("berthd version ") + BERTH_VERSION);
  std::vector<std::string> set;
  auto* hosts =
      app.add_option("-H,--host", c.hosts, "Daemon socket(s) to listen on (unix://, tcp://)");
  app.add_flag("--tlsverify", c.tls_verify,
               "Require clients to present a certificate from --tlscacert");
  app.add_option("--tlscacert", c.tls_ca, "CA that signs accepted client certificates");
  app.add_option("--tlscert", c.tls_cert, "Server certificate");
  app.add_option("--tlskey", c.tls_key, "Server private key");
  app.add_option("--data-root", c.data_root, "Root of persistent engine state")
      ->capture_default_str();
  app.add_option("--exec-root", c.exec_root, "Root of runtime state")->capture_default_str();
  app.add_option("--config-file", c.config_file, "Daemon configuration file (JSON)");
  app.add_option("-l,--log-level", c.log_level, "debug, info, warn or error")
      ->capture_default_str();
  app.add_option("--log-file", c.log_file, "Write the log to this file instead of stderr");
  app.add_option("--default-runtime", c.default_runtime, "crun or runc (default: detected)");
  app.add_option("--label", c.labels, "Engine label key=value");
  app.add_option("--insecure-registry", c.insecure_registries, "Registry reached over plain HTTP");
  app.add_option("--registry-mirror", c.registry_mirrors, "Preferred registry mirror");
  app.add_option("--bip", c.bridge_gateway, "Default bridge gateway address");
  app.add_option("--fixed-cidr", c.bridge_subnet, "Default bridge subnet");
  app.add_option("--dns", c.dns, "DNS server for containers");
  app.add_option("--shim", c.shim_path, "berth-shim binary");
  app.add_option("--init-path", c.init_path, "Static init binary for --init");
  app.add_option("--seccomp-profile", c.seccomp_profile,
                 "Path to a seccomp profile, or \"unconfined\" to run containers without one")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    std::exit(0);
  } catch (const CLI::CallForVersion&) {
    std::puts(app.version().c_str());
    std::exit(0);
  } catch (const CLI::ParseError& e) {
    throw InvalidArgument(e.what());
  }
  for (const auto* opt : app.get_options())
    if (opt->count() > 0) set.push_back(opt->get_name(false, true));
  if (c.config_file.empty() && std::filesystem::exists("/etc/berth/daemon.json"))
    c.config_file = "/etc/berth/daemon.json";
  if (!c.config_file.empty()) c.merge_file(c.config_file, set);
  if (hosts->count() == 0 && c.hosts.empty()) c.hosts = {"unix://" + c.exec_root + "/berth.sock"};
  if (c.tls_verify && (c.tls_ca.empty() || c.tls_cert.empty() || c.tls_key.empty()))
    throw InvalidArgument("--tlsverify needs --tlscacert, --tlscert and --tlskey");
  return c;
}

void DaemonConfig::merge_file(const std::string& path,
                              const std::vector<std::string>& set_by_flags) {
  const auto j = parse_json_object(read_file(path), "daemon configuration " + path);
  auto flag_set = [&](const std::string& name) {
    return std::find(set_by_flags.begin(), set_by_flags.end(), name) != set_by_flags.end();
  };
  auto take_string = [&](const char* key, const char* flag, std::string& out) {
    if (j.contains(key) && !flag_set(flag)) out = get_string(j, key);
  };
  auto take_list = [&](const char* key, const char* flag, std::vector<std::string>& out) {
    if (j.contains(key) && !flag_set(flag)) out = get_string_array(j, key);
  };
  static const std::vector<std::string> known = {"hosts",
                                                 "tlsverify",
                                                 "tlscacert",
                                                 "tlscert",
                                                 "tlskey",
                                                 "data-root",
                                                 "exec-root",
                                                 "log-level",
                                                 "log-file",
                                                 "default-runtime",
                                                 "labels",
                                                 "insecure-registries",
                                                 "registry-mirrors",
                                                 "bip",
                                                 "fixed-cidr",
                                                 "dns",
                                                 "shim",
                                                 "init-path",
                                                 "seccomp-profile",
                                                 "debug"};
  for (const auto& [key, value] : j.items())
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw InvalidArgument("unknown key \"" + key + "\" in daemon configuration " + path);
  take_list("hosts", "--host", hosts);
  if (j.contains("tlsverify") && !flag_set("--tlsverify")) tls_verify = get_bool(j, "tlsverify");
  take_string("tlscacert", "--tlscacert", tls_ca);
  take_string("tlscert", "--tlscert", tls_cert);
  take_string("tlskey", "--tlskey", tls_key);
  take_string("data-root", "--data-root", data_root);
  take_string("exec-root", "--exec-root", exec_root);
  take_string("log-level", "--log-level", log_level);
  if (get_bool(j, "debug") && !flag_set("--log-level")) log_level = "debug";
  take_string("log-file", "--log-file", log_file);
  take_string("default-runtime", "--default-runtime", default_runtime);
  take_list("labels", "--label", labels);
  take_list("insecure-registries", "--insecure-registry", insecure_registries);
  take_list("registry-mirrors", "--registry-mirror", registry_mirrors);
  take_string("bip", "--bip", bridge_gateway);
  take_string("fixed-cidr", "--fixed-cidr", bridge_subnet);
  take_list("dns", "--dns", dns);
  take_string("shim", "--shim", shim_path);
  take_string("init-path", "--init-path", init_path);
  take_string("seccomp-profile", "--seccomp-profile", seccomp_profile);
}

}  // namespace berth::engine
