#include "cli/client/engine_client.hpp"

#include <cstdio>

#include "common/endpoint.hpp"
#include "common/tls_context.hpp"

namespace berth::cli::client {

namespace {

std::string read_file_or_throw(const std::string& path, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw InvalidArgument(std::string("could not read ") + what + " " + path + ": " +
                          std::strerror(errno));
  }
  std::string text;
  char buffer[8192];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, f)) text.append(buffer, n);
  std::fclose(f);
  return text;
}

http::ClientOptions client_options(const EngineTarget& target) {
  http::ClientOptions options;
  options.endpoint = Endpoint::parse(target.host, 2375);
  if (target.tls) {
    tls::ClientTlsConfig tls;
    if (target.verify_server) tls.ca_pem = read_file_or_throw(target.ca_file, "CA certificate");
    if (!target.cert_file.empty()) {
      tls.cert_pem = read_file_or_throw(target.cert_file, "client certificate");
      tls.key_pem = read_file_or_throw(target.key_file, "client key");
    }
    options.tls = std::move(tls);
  }
  // Docker waits on the engine as long as it takes (wait, logs -f, events): so do we, but a
  // connection that cannot even be opened fails fast.
  options.connect_timeout = std::chrono::seconds(10);
  options.io_timeout = std::chrono::hours(24 * 365);
  if (options.endpoint.kind == Endpoint::Kind::tcp) {
    options.default_headers.emplace_back("User-Agent", "berth-client");
  }
  return options;
}

}  // namespace

std::string url_encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

EngineClient::EngineClient(const EngineTarget& target)
    : target_(target),
      http_(std::make_unique<http::HttpClient>(client_options(target))),
      version_(target.api_version) {}

template <typename F>
auto EngineClient::reaching(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const SystemError&) {
    throw EngineUnreachable("Cannot connect to the berth engine at " + target_.host +
                            ". Is berthd running?");
  } catch (const Timeout&) {
    throw EngineUnreachable("Cannot connect to the berth engine at " + target_.host +
                            ": timed out. Is berthd running?");
  }
}

const std::string& EngineClient::api_version() {
  if (version_.empty()) {
    auto response = reaching([&] { return http_->request("HEAD", "/_ping"); });
    if (response.status >= 400 && response.status != 500) {
      response = reaching([&] { return http_->request("GET", "/_ping"); });
    }
    version_ = negotiate_api_version(response.header("Api-Version"));
  }
  return version_;
}

std::string EngineClient::versioned(const std::string& path) {
  return "/v" + api_version() + path;
}

http::ClientResponse EngineClient::call_unchecked(std::string_view method, const std::string& path,
                                                  std::string_view body,
                                                  const http::ClientHeaders& headers) {
  auto target = versioned(path);
  return reaching([&] { return http_->request(method, target, body, headers); });
}

http::ClientResponse EngineClient::call(std::string_view method, const std::string& path,
                                        std::string_view body, const http::ClientHeaders& headers) {
  auto response = call_unchecked(method, path, body, headers);
  if (response.status >= 400) {
    throw http::HttpStatusError(response.status,
                                http::error_message_from_body(response.status, response.body));
  }
  return response;
}

Json EngineClient::call_json(std::string_view method, const std::string& path,
                             std::string_view body) {
  auto response = call(method, path, body);
  if (response.body.empty()) return Json();
  try {
    return Json::parse(response.body);
  } catch (const Json::exception& e) {
    throw Error("the engine's answer to " + std::string(method) + " " + path +
                " is not JSON: " + e.what());
  }
}

std::unique_ptr<http::ResponseStream> EngineClient::stream(std::string_view method,
                                                           const std::string& path,
                                                           http::BodySource body,
                                                           const http::ClientHeaders& headers,
                                                           std::string_view fixed_body) {
  auto target = versioned(path);
  auto response =
      reaching([&] { return http_->open(method, target, std::move(body), headers, fixed_body); });
  if (response->status() >= 400) {
    auto text = response->read_all(1 << 20);
    throw http::HttpStatusError(response->status(),
                                http::error_message_from_body(response->status(), text));
  }
  return response;
}

http::Hijacked EngineClient::hijack(const std::string& path, std::string_view body) {
  auto target = versioned(path);
  http::ClientHeaders headers;
  if (body.empty()) headers.emplace_back("Content-Type", "text/plain");
  return reaching([&] { return http_->hijack("POST", target, body, headers); });
}

}  // namespace berth::cli::client
