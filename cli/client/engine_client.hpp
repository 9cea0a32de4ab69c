#pragma once
// The client's connection to one engine: the Engine API over common/http_client.hpp with the
// version prefix negotiated through /_ping (HEAD, as docker sends it) or pinned by
// DOCKER_API_VERSION. Engine error answers become http::HttpStatusError carrying the engine's
// message; an engine that cannot be reached becomes EngineUnreachable, worded as docker words it.
#include <memory>
#include <string>
#include <string_view>

#include "cli/client/engine_selection.hpp"
#include "common/error.hpp"
#include "common/http_client.hpp"
#include "common/json.hpp"

namespace berth::cli::client {

class EngineUnreachable : public Error {
 public:
  using Error::Error;
};

// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
std::string url_encode(std::string_view value);

class EngineClient {
 public:
  explicit EngineClient(const EngineTarget& target);

  const EngineTarget& target() const { return target_; }
  // The version the client speaks ("1.50"); pings the engine the first time.
  const std::string& api_version();

  // `path` is without the version prefix ("/containers/json?all=1"). Statuses >= 400 throw.
  http::ClientResponse call(std::string_view method, const std::string& path,
                            std::string_view body = {}, const http::ClientHeaders& headers = {});
  Json call_json(std::string_view method, const std::string& path, std::string_view body = {});
  // The same without throwing on error statuses (404 checks such as inspect's fallbacks).
  http::ClientResponse call_unchecked(std::string_view method, const std::string& path,
                                      std::string_view body = {},
                                      const http::ClientHeaders& headers = {});
  // A response read as it arrives (logs -f, events, wait, progress); error statuses throw.
  std::unique_ptr<http::ResponseStream> stream(std::string_view method, const std::string& path,
                                               http::BodySource body = {},
                                               const http::ClientHeaders& headers = {},
                                               std::string_view fixed_body = {});
  http::Hijacked hijack(const std::string& path, std::string_view body = {});

 private:
  std::string versioned(const std::string& path);
  template <typename F>
  auto reaching(F&& f) -> decltype(f());

  EngineTarget target_;
  std::unique_ptr<http::HttpClient> http_;
  std::string version_;
};

}  // namespace berth::cli::client
