#pragma once
// HTTP/1.1 client for berth's engines over unix sockets, TCP and TLS: whole responses, streamed
// responses (logs -f, events, progress), streamed request bodies (image loads, build contexts), and
// hijacked connections (attach, exec). Every read and write has a deadline.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/endpoint.hpp"
#include "common/error.hpp"
#include "common/stream.hpp"
#include "common/tls_context.hpp"

namespace berth::http {

using ClientHeaders = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
  Endpoint endpoint;
  std::optional<tls::ClientTlsConfig> tls;
  Clock::duration connect_timeout = std::chrono::seconds(10);
  Clock::duration io_timeout = std::chrono::minutes(5);
  // Host header; docker sends "api.moby.localhost" over unix sockets.
  std::string host_header;
  ClientHeaders default_headers;
};

// An engine answered an error status where the caller needed success (hijack). Carries the engine's
// own message, which clients print as docker does ("Error response from daemon: ...").
class HttpStatusError : public Error {
 public:
  HttpStatusError(int status, std::string message)
      : Error(message), status_(status), message_(std::move(message)) {}
  int status() const { return status_; }
  const std::string& message() const { return message_; }

 private:
  int status_;
  std::string message_;
};

// The message of a Docker-style error body ({"message": "..."}), or the body itself.
std::string error_message_from_body(int status, std::string_view body);

struct ClientResponse {
  int status = 0;
  ClientHeaders headers;
  std::string body;
  std::string header(std::string_view name) const;
};

// Supplies a request body piece by piece: fills up to `size` bytes, returns 0 at the end.
using BodySource = std::function<size_t(char* data, size_t size)>;

class ResponseStream;

struct Hijacked {
  int status = 0;  // 101 (or 200 from engines that do not upgrade)
  ClientHeaders headers;
  std::unique_ptr<Stream> stream;  // raw bytes both ways; shutdown_write() half-closes
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // A whole response; `body_limit` bounds what is read into memory.
  ClientResponse request(std::string_view method, std::string_view target,
                         std::string_view body = {}, const ClientHeaders& headers = {},
                         size_t body_limit = 256 << 20);
  // The response body is read incrementally through the returned stream. With a BodySource the
  // request body is sent chunked.
  std::unique_ptr<ResponseStream> open(std::string_view method, std::string_view target,
                                       BodySource body = {}, const ClientHeaders& headers = {},
                                       std::string_view fixed_body = {});
  // Sends a request asking to upgrade, then hands over the raw connection. A non-1xx/2xx status
  // throws with the engine's message.
  Hijacked hijack(std::string_view method, std::string_view target, std::string_view body = {},
                  const ClientHeaders& headers = {});

  const ClientOptions& options() const { return options_; }

 private:
  friend class ResponseStream;
  std::unique_ptr<Stream> connect();
  std::string request_head(std::string_view method, std::string_view target,
                           const ClientHeaders& headers, std::optional<size_t> length,
                           bool chunked) const;
  void give_back(std::unique_ptr<Stream> stream, std::string leftover);

  ClientOptions options_;
  tls::SslCtxPtr ssl_ctx_;
  std::string tls_server_name_;
  // One idle keep-alive connection, reused by the next request (saves a TLS handshake).
  std::unique_ptr<Stream> idle_;
};

class ResponseStream {
 public:
  struct Impl;
  ~ResponseStream();
  int status() const { return status_; }
  const ClientHeaders& headers() const { return headers_; }
  std::string header(std::string_view name) const;
  // Reads body bytes; 0 at the end of the body.
  size_t read_some(char* data, size_t size);
  // Reads up to and excluding '\n'; false at the end of the body (JSON-lines streams).
  bool read_line(std::string& line);
  std::string read_all(size_t limit = 256 << 20);
  // Gives up on the rest of the body (e.g. following logs) and closes the connection.
  void close();

 private:
  friend class HttpClient;
  explicit ResponseStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int status_ = 0;
  ClientHeaders headers_;
  std::string line_buffer_;
};

}  // namespace berth::http
