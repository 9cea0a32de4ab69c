#pragma once
// HTTP/1.1 server for berth's APIs: unix sockets, plain TCP and mutual-TLS TCP listeners; one
// thread per connection running synchronous handlers; Beast parses, every read and write has a
// deadline.
//
// Handlers answer in one of three ways: a whole response (send), a chunked stream written piece by
// piece (start_stream/write/finish: logs, events, progress), or a hijacked connection (hijack:
// attach, exec) after which the handler owns the raw byte stream in both directions.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/endpoint.hpp"
#include "common/http_router.hpp"
#include "common/stream.hpp"
#include "common/tls_context.hpp"

namespace berth::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ServerLimits {
  size_t header_bytes = 64 * 1024;
  // The whole request header, from the first byte a connection may send until its blank line, and
  // the idle time allowed between keep-alive requests.
  Clock::duration header_timeout = std::chrono::seconds(60);
  // Any single read or write while a request body or response is under way.
  Clock::duration io_timeout = std::chrono::minutes(5);
  Clock::duration tls_handshake_timeout = std::chrono::seconds(10);
  // Buffered bodies (Request::read_body) larger than this are refused with 413 before they are
  // read.
  size_t default_body_bytes = 16 * 1024 * 1024;
};

class Connection;

class Request {
 public:
  const std::string& method() const { return method_; }
  const std::string& target() const { return target_; }
  // Decoded by segment; a filter may rewrite it (to strip an API version prefix).
  const std::string& path() const { return path_; }
  void set_path(std::string path) { path_ = std::move(path); }

  // Query parameters, decoded; the first value wins for query(), all for query_all().
  std::optional<std::string> query(std::string_view key) const;
  std::vector<std::string> query_all(std::string_view key) const;
  // Docker's boolean parameters: "1", "true", "True" are true; absent means `fallback`.
  bool query_bool(std::string_view key, bool fallback = false) const;
  const std::vector<std::pair<std::string, std::string>>& query_items() const { return query_; }

  // Header value (case-insensitive name), empty when absent.
  std::string header(std::string_view name) const;
  const HeaderList& headers() const { return headers_; }

  const PathParams& params() const { return params_; }
  const std::string& param(const std::string& name) const;

  bool has_body() const;
  // The whole body, refused with TooLarge (413) when larger than `limit` (default: server limit).
  std::string read_body(std::optional<size_t> limit = std::nullopt);
  // Streaming body: returns 0 at the end. For uploads that go straight to disk.
  size_t read_body_some(char* data, size_t size);
  // Parses the body as JSON (object or array); empty body gives `empty_value`.
  nlohmann::json read_json(std::optional<size_t> limit = std::nullopt);

  // True when the client asked to upgrade the connection (attach/exec hijack).
  bool wants_upgrade() const;
  int http_version() const { return version_; }  // 11 or 10

  // Values a request filter attaches for the handlers (the negotiated API version, say).
  std::map<std::string, std::string>& attributes() { return attributes_; }
  std::string attribute(const std::string& key) const {
    auto it = attributes_.find(key);
    return it == attributes_.end() ? std::string() : it->second;
  }

 private:
  friend class Connection;
  friend class Server;
  Connection* connection_ = nullptr;
  std::string method_, target_, path_;
  int version_ = 11;
  std::vector<std::pair<std::string, std::string>> query_;
  HeaderList headers_;
  PathParams params_;
  std::map<std::string, std::string> attributes_;
};

class Response {
 public:
  void set_header(std::string name, std::string value);

  void send(int status, std::string_view body, std::string_view content_type = "application/json");
  void send_json(int status, const nlohmann::json& body);
  // Docker's error body: {"message": "..."}.
  void send_error(int status, std::string_view message);
  // A status with no body (204, 304, 101-less answers).
  void send_empty(int status);

  // Chunked streaming: headers go out at once, every write() is flushed as a chunk.
  void start_stream(int status, std::string_view content_type);
  void write(std::string_view data);
  void finish();

  // Answers 101 (or 200 when the client did not ask to upgrade, as old docker clients do), then
  // hands over the connection: bytes the client already sent after its header come first when
  // reading. The connection closes when the handler returns.
  Stream& hijack(std::string_view content_type);

  // True when the client hung up or the server is being stopped: streaming handlers poll it.
  bool cancelled();

  bool started() const { return state_ != State::idle; }
  int status() const { return status_; }

 private:
  friend class Connection;
  enum class State { idle, streaming, done, hijacked };
  void write_head(int status, std::string_view content_type, std::optional<size_t> length,
                  bool chunked, bool upgrade);
  Connection* connection_ = nullptr;
  State state_ = State::idle;
  int status_ = 0;
  HeaderList headers_;
  bool head_only_ = false;
};

struct Listener {
  Endpoint endpoint;
  std::optional<tls::ServerTlsConfig> tls;  // set: TLS listener (mutual TLS when verify_clients)
  unsigned unix_mode = 0660;
};

// Runs before routing; may rewrite the request (strip "/v1.50") or answer it directly and return
// false.
using RequestFilter = std::function<bool(Request&, Response&)>;

class Server {
 public:
  Server(Router router, ServerLimits limits = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Headers added to every response (Server, Api-Version, ...).
  void set_default_headers(HeaderList headers) { default_headers_ = std::move(headers); }
  void set_request_filter(RequestFilter filter) { filter_ = std::move(filter); }
  // Called (on the connection's thread) each time the last open connection closes: a moment to
  // hand memory back to the system, say.
  void set_idle_callback(std::function<void()> callback) { on_idle_ = std::move(callback); }

  // Opens the listener now (so errors surface at start-up) and serves it on a thread of its own.
  // Returns the bound TCP port (useful with port 0), or 0 for unix sockets.
  uint16_t listen(const Listener& listener);

  // Stops accepting, closes idle connections at once, lets requests in progress finish for up to
  // `grace`, then cuts the rest. Returns when every connection thread has ended.
  void stop(Clock::duration grace = std::chrono::seconds(5));

  const ServerLimits& limits() const { return limits_; }
  const HeaderList& default_headers() const { return default_headers_; }

 private:
  friend class Connection;
  friend class Response;
  struct ListenerState;
  void accept_loop(ListenerState& state);
  void serve_connection(UniqueFd fd, ListenerState& state);
  void dispatch(Request& request, Response& response);

  Router router_;
  ServerLimits limits_;
  HeaderList default_headers_;
  RequestFilter filter_;
  std::function<void()> on_idle_;
  UniqueFd drain_fd_;  // readable once stop() begins: idle waits end
  UniqueFd force_fd_;  // readable once the grace period is over: every wait ends
  std::vector<std::unique_ptr<ListenerState>> listeners_;
  std::mutex mutex_;
  std::condition_variable idle_cv_;
  size_t active_connections_ = 0;
  std::set<int> connection_fds_;
  std::atomic<bool> stopping_{false};
};

}  // namespace berth::http
