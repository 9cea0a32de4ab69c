#include "cli/engine_version_probe.hpp"

#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/http_client.hpp"
#include "common/json.hpp"
#include "common/tls_context.hpp"

namespace berth::cli {

std::string query_engine_version(const std::string& url, const std::string& cert_dir,
                                 std::chrono::milliseconds timeout) {
  http::ClientOptions options;
  options.endpoint = Endpoint::parse(url, 2376);
  options.tls = tls::load_client_config_from_dir(cert_dir, options.endpoint.host);
  options.connect_timeout = timeout;
  options.io_timeout = timeout;
  http::HttpClient client(std::move(options));
  auto response = client.request("GET", "/version");
  if (response.status != 200) {
    throw Error("GET /version answered " + std::to_string(response.status) + ": " +
                http::error_message_from_body(response.status, response.body));
  }
  auto json = parse_json_object(response.body, "the engine's /version answer");
  auto version = get_string(json, "Version");
  if (version.empty()) throw Error("the engine's /version answer has no Version");
  return "v" + version;
}

}  // namespace berth::cli
