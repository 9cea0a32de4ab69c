// The provisioner's last step: the engine answers over mutual TLS exactly as `docker` will reach it
// after `berth machine env`, with the client certificate from the machine's folder.
#include <thread>

#include "common/endpoint.hpp"
#include "common/http_client.hpp"
#include "common/json.hpp"
#include "common/tls_context.hpp"
#include "machine/ssh_provisioner.hpp"

namespace berth::machine {

std::string probe_engine_over_tls(const std::string& engine_url, const std::string& machine_dir,
                                  SshDeadline deadline) {
  const Endpoint endpoint = Endpoint::parse(engine_url, 2376);
  const tls::ClientTlsConfig tls = tls::load_client_config_from_dir(machine_dir, endpoint.host);
  std::string last_error = "no answer";
  // The engine needs a moment to come back after the restart; poll until it answers.
  while (SshClock::now() < deadline) {
    const auto left = deadline - SshClock::now();
    http::ClientOptions options;
    options.endpoint = endpoint;
    options.tls = tls;
    options.connect_timeout = std::min<Clock::duration>(left, std::chrono::seconds(3));
    options.io_timeout = std::min<Clock::duration>(left, std::chrono::seconds(10));
    try {
      http::HttpClient client(options);
      const auto ping = client.request("GET", "/_ping");
      if (ping.status == 200) {
        const auto version = client.request("GET", "/version");
        if (version.status != 200) {
          throw Error("GET /version answered " + std::to_string(version.status));
        }
        return get_string(parse_json_object(version.body, "the engine's /version"), "Version");
      }
      last_error = "GET /_ping answered " + std::to_string(ping.status) + ": " +
                   http::error_message_from_body(ping.status, ping.body);
    } catch (const std::exception& e) {
      last_error = e.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  throw Timeout("the engine at " + engine_url +
                " did not answer /_ping over TLS in time: " + last_error);
}

}  // namespace berth::machine
