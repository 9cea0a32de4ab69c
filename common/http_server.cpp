#include "common/http_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/beast_stream.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/time_format.hpp"

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace berth::http {

namespace {

UniqueFd make_eventfd() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) throw_errno("eventfd");
  return fd;
}

void signal_eventfd(int fd) {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> items;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view item = query.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    std::string key = percent_decode(item.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? "" : percent_decode(item.substr(eq + 1), true);
    items.emplace_back(std::move(key), std::move(value));
  }
  return items;
}

// Closing a TCP socket with unread input makes the kernel send a reset, which can overtake our last
// response (a client still uploading gets "connection reset" instead of the answer). So: send FIN,
// then read and drop what is still coming, briefly, before the fd is closed.
void linger(Stream& stream) {
  try {
    stream.shutdown_write();
    stream.set_deadline(Clock::now() + std::chrono::seconds(2));
    char sink[16 * 1024];
    size_t total = 0;
    while (size_t n = stream.read_some(sink, sizeof sink)) {
      total += n;
      if (total > (64u << 20)) break;
    }
  } catch (const std::exception&) {
    // Timeout or reset: the socket closes now either way.
  }
}

int status_for(const std::exception& e) {
  // A JSON value of the wrong type in a request (nlohmann's type errors) is the client's mistake.
  if (dynamic_cast<const nlohmann::json::exception*>(&e)) return 400;
  if (dynamic_cast<const InvalidArgument*>(&e)) return 400;
  if (dynamic_cast<const NotFound*>(&e)) return 404;
  if (dynamic_cast<const Conflict*>(&e)) return 409;
  if (dynamic_cast<const TooLarge*>(&e)) return 413;
  if (dynamic_cast<const Unavailable*>(&e)) return 503;
  if (dynamic_cast<const NotImplemented*>(&e)) return 501;
  return 500;
}

// nlohmann's messages start with an internal id ("[json.exception.type_error.302] type must be
// string, but is number"); a client only needs the words after it.
std::string without_json_exception_id(const char* what) {
  std::string_view text(what);
  if (text.starts_with("[json.exception.")) {
    if (auto end = text.find("] "); end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

// What the client reads for a failed request.
std::string message_for(const std::exception& e) {
  if (dynamic_cast<const nlohmann::json::exception*>(&e))
    return "invalid JSON in request body: " + without_json_exception_id(e.what());
  return e.what();
}

// A broken request body leaves the connection unusable: the handler sees InvalidArgument (400).
class BrokenBody : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

}  // namespace

// One accepted connection: reads requests one after another (keep-alive), runs their handlers on
// this thread, and writes their responses.
class Connection {
 public:
  Connection(Server& server, std::unique_ptr<Stream> stream)
      : server_(server), stream_(std::move(stream)) {}

  void run();

  size_t read_body_some(char* data, size_t size);
  bool body_done() const { return !parser_ || parser_->is_done(); }
  std::optional<uint64_t> content_length() const {
    if (!parser_) return 0;
    auto len = parser_->content_length();
    return len ? std::optional<uint64_t>(*len) : std::nullopt;
  }

  Server& server_;
  std::unique_ptr<Stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;
  bool keep_alive_ = true;
  bool expect_continue_ = false;
  bool hijacked_ = false;

 private:
  bool read_request(Request& request);
  void answer_and_close(int status, std::string_view message);
};

// ---- Request
// -------------------------------------------------------------------------------------

std::optional<std::string> Request::query(std::string_view key) const {
  for (const auto& [k, v] : query_)
    if (k == key) return v;
  return std::nullopt;
}

std::vector<std::string> Request::query_all(std::string_view key) const {
  std::vector<std::string> values;
  for (const auto& [k, v] : query_)
    if (k == key) values.push_back(v);
  return values;
}

bool Request::query_bool(std::string_view key, bool fallback) const {
  auto value = query(key);
  if (!value) return fallback;
  // Docker treats any value other than "", "0", "false" and "no" as true (a bare ?stream counts).
  return !(*value == "0" || equals_ignore_case(*value, "false") ||
           equals_ignore_case(*value, "no"));
}

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers_)
    if (equals_ignore_case(k, name)) return v;
  return {};
}

const std::string& Request::param(const std::string& name) const {
  static const std::string empty;
  auto it = params_.find(name);
  return it == params_.end() ? empty : it->second;
}

bool Request::has_body() const {
  if (!connection_ || connection_->body_done()) return false;
  auto len = connection_->content_length();
  return !len || *len > 0;
}

std::string Request::read_body(std::optional<size_t> limit) {
  const size_t max = limit.value_or(connection_->server_.limits().default_body_bytes);
  if (auto len = connection_->content_length(); len && *len > max) {
    connection_->keep_alive_ = false;
    throw TooLarge("request body of " + std::to_string(*len) + " bytes exceeds the limit of " +
                   std::to_string(max) + " bytes");
  }
  std::string body;
  char chunk[64 * 1024];
  while (size_t n = read_body_some(chunk, sizeof chunk)) {
    if (body.size() + n > max) {
      connection_->keep_alive_ = false;
      throw TooLarge("request body exceeds the limit of " + std::to_string(max) + " bytes");
    }
    body.append(chunk, n);
  }
  return body;
}

size_t Request::read_body_some(char* data, size_t size) {
  return connection_->read_body_some(data, size);
}

nlohmann::json Request::read_json(std::optional<size_t> limit) {
  const std::string body = read_body(limit);
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw InvalidArgument("invalid JSON in request body: " + without_json_exception_id(e.what()));
  }
}

bool Request::wants_upgrade() const {
  return equals_ignore_case(header("Upgrade"), "tcp") ||
         header("Connection").find("pgrade") != std::string::npos;
}

// ---- Response
// ------------------------------------------------------------------------------------

void Response::set_header(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
}

void Response::write_head(int status, std::string_view content_type, std::optional<size_t> length,
                          bool chunked, bool upgrade) {
  if (state_ != State::idle) throw Error("response already started");
  status_ = status;
  // The status line carries the request's version, as Go's server (dockerd's) answers: an HTTP/1.0
  // client gets "HTTP/1.0", and keep-alive only when it asked for it.
  const bool http10 = connection_->parser_->get().version() < 11;
  std::string head = (http10 ? "HTTP/1.0 " : "HTTP/1.1 ") + std::to_string(status) + " ";
  head += upgrade ? "UPGRADED" : std::string(bhttp::obsolete_reason(bhttp::int_to_status(status)));
  head += "\r\n";
  for (const auto& [k, v] : connection_->server_.default_headers()) head += k + ": " + v + "\r\n";
  for (const auto& [k, v] : headers_) head += k + ": " + v + "\r\n";
  if (!content_type.empty()) head += "Content-Type: " + std::string(content_type) + "\r\n";
  if (length) head += "Content-Length: " + std::to_string(*length) + "\r\n";
  if (chunked) head += "Transfer-Encoding: chunked\r\n";
  if (upgrade) {
    head += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
  } else if (!connection_->keep_alive_) {
    head += "Connection: close\r\n";
  } else if (http10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  connection_->stream_->write_all(head);
}

void Response::send(int status, std::string_view body, std::string_view content_type) {
  write_head(status, body.empty() && status == 204 ? "" : content_type, body.size(), false, false);
  if (!head_only_ && !body.empty()) connection_->stream_->write_all(body);
  state_ = State::done;
}

void Response::send_json(int status, const nlohmann::json& body) {
  send(status, body.dump() + "\n", "application/json");
}

void Response::send_error(int status, std::string_view message) {
  send_json(status, nlohmann::json{{"message", message}});
}

void Response::send_empty(int status) {
  // 1xx, 204 and 304 carry no Content-Length by definition.
  const bool bodyless = status == 204 || status == 304 || status < 200;
  write_head(status, "", bodyless ? std::nullopt : std::optional<size_t>(0), false, false);
  state_ = State::done;
}

void Response::start_stream(int status, std::string_view content_type) {
  // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
  const bool chunked = connection_->parser_->get().version() >= 11;
  if (!chunked) connection_->keep_alive_ = false;
  write_head(status, content_type, std::nullopt, chunked, false);
  state_ = State::streaming;
  if (head_only_) state_ = State::done;
}

void Response::write(std::string_view data) {
  if (state_ == State::done && head_only_) return;
  if (state_ != State::streaming) throw Error("response stream not started");
  if (data.empty()) return;
  if (connection_->parser_->get().version() < 11) {
    connection_->stream_->write_all(data);
    return;
  }
  char size_line[24];
  const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
  std::string chunk;
  chunk.reserve(data.size() + n + 2);
  chunk.append(size_line, n).append(data).append("\r\n");
  connection_->stream_->write_all(chunk);
}

void Response::finish() {
  if (state_ != State::streaming) return;
  if (connection_->parser_->get().version() >= 11) connection_->stream_->write_all("0\r\n\r\n");
  state_ = State::done;
}

Stream& Response::hijack(std::string_view content_type) {
  Connection& c = *connection_;
  const bool upgrade =
      c.parser_->get().version() >= 11 &&
      (c.parser_->get()[bhttp::field::upgrade] != "" ||
       c.parser_->get()[bhttp::field::connection].find("pgrade") != std::string_view::npos);
  c.keep_alive_ = false;
  write_head(upgrade ? 101 : 200, content_type, std::nullopt, false, upgrade);
  state_ = State::hijacked;
  c.hijacked_ = true;
  // Bytes the client pipelined after its header belong to the raw stream now.
  const auto pending = c.buffer_.data();
  std::string leftover(static_cast<const char*>(pending.data()), pending.size());
  c.buffer_.consume(pending.size());
  c.stream_ = make_prefixed_stream(std::move(leftover), std::move(c.stream_));
  // Interactive sessions may sit idle for hours; the server's force-stop still ends them.
  c.stream_->set_io_timeout(std::chrono::hours(24 * 365));
  return *c.stream_;
}

bool Response::cancelled() {
  int force_fd = connection_->server_.force_fd_.get();
  pollfd p{force_fd, POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) return true;
  return connection_->stream_->peer_closed();
}

// ---- Connection
// ----------------------------------------------------------------------------------

void Connection::answer_and_close(int status, std::string_view message) {
  keep_alive_ = false;
  try {
    const std::string body = nlohmann::json{{"message", message}}.dump() + "\n";
    std::string head =
        "HTTP/1.1 " + std::to_string(status) + " " +
        std::string(bhttp::obsolete_reason(bhttp::int_to_status(status))) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n";
    stream_->write_all(head + body);
  } catch (const std::exception&) {
    // The client is gone; nothing more to tell it.
  }
}

bool Connection::read_request(Request& request) {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.limits().header_bytes));
  parser_->body_limit(boost::none);  // bodies are bounded by the handler that reads them
  stream_->set_interrupt_fd(server_.drain_fd_.get());
  stream_->set_deadline(Clock::now() + server_.limits().header_timeout);
  detail::BeastStream bs(*stream_);
  beast::error_code ec;
  bhttp::read_header(bs, buffer_, *parser_, ec);
  stream_->clear_deadline();
  if (ec) {
    if (ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof ||
        ec == beast::error::timeout || ec.category() == boost::system::system_category())
      return false;  // the client left, went quiet, or the server is stopping
    if (ec == bhttp::error::header_limit)
      answer_and_close(431, "request header exceeds " +
                                std::to_string(server_.limits().header_bytes) + " bytes");
    else
      answer_and_close(400, "malformed HTTP request: " + ec.message());
    return false;
  }
  stream_->set_interrupt_fd(server_.force_fd_.get());
  const auto& msg = parser_->get();
  request.connection_ = this;
  request.method_ = std::string(msg.method_string());
  request.target_ = std::string(msg.target());
  request.version_ = msg.version();
  const size_t question = request.target_.find('?');
  request.path_ = request.target_.substr(0, question);
  if (question != std::string::npos)
    request.query_ = parse_query(request.target_.substr(question + 1));
  for (const auto& field : msg)
    request.headers_.emplace_back(std::string(field.name_string()), std::string(field.value()));
  keep_alive_ = msg.keep_alive();
  expect_continue_ = equals_ignore_case(msg[bhttp::field::expect], "100-continue");
  return true;
}

size_t Connection::read_body_some(char* data, size_t size) {
  if (body_done() || size == 0) return 0;
  if (expect_continue_) {
    expect_continue_ = false;
    stream_->write_all("HTTP/1.1 100 Continue\r\n\r\n");
  }
  detail::BeastStream bs(*stream_);
  stream_->set_io_timeout(server_.limits().io_timeout);
  for (;;) {
    parser_->get().body().data = data;
    parser_->get().body().size = size;
    beast::error_code ec;
    bhttp::read_some(bs, buffer_, *parser_, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    const size_t got = size - parser_->get().body().size;
    if (ec) {
      keep_alive_ = false;
      throw BrokenBody("incomplete or malformed request body: " + ec.message());
    }
    if (got > 0 || parser_->is_done()) return got;
  }
}

void Connection::run() {
  while (keep_alive_ && !hijacked_) {
    Request request;
    if (!read_request(request)) return;
    Response response;
    response.connection_ = this;
    response.head_only_ = request.method() == "HEAD";
    const auto started = std::chrono::steady_clock::now();
    // One debug line per request with its duration: where a client's wall time goes.
    auto log_request = [&] {
      if (!log::enabled(log::Level::Debug)) return;
      log::debug("request",
                 {{"method", request.method()},
                  {"path", request.path()},
                  {"status", std::to_string(response.status())},
                  {"ms", milliseconds_text(std::chrono::steady_clock::now() - started)}});
    };
    try {
      server_.dispatch(request, response);
      if (response.state_ == Response::State::idle) response.send_empty(204);
      response.finish();
      log_request();
    } catch (const std::exception& e) {
      if (response.started()) {
        log::debug("connection closed after a failed streamed response", {{"error", e.what()}});
        return;  // mid-stream: closing is the only signal left
      }
      const int status = status_for(e);
      if (status == 500)
        log::error("request failed",
                   {{"method", request.method()}, {"path", request.path()}, {"error", e.what()}});
      try {
        response.send_error(status, message_for(e));
      } catch (const std::exception&) {
        return;
      }
    }
    if (!body_done()) return;  // unread body: the stream is not at a request boundary
  }
}

// ---- Server
// --------------------------------------------------------------------------------------

struct Server::ListenerState {
  Listener config;
  UniqueFd fd;
  tls::SslCtxPtr ssl_ctx;
  std::thread thread;
};

Server::Server(Router router, ServerLimits limits)
    : router_(std::move(router)),
      limits_(limits),
      drain_fd_(make_eventfd()),
      force_fd_(make_eventfd()) {}

Server::~Server() {
  stop(std::chrono::seconds(0));
}

uint16_t Server::listen(const Listener& listener) {
  auto state = std::make_unique<ListenerState>();
  state->config = listener;
  if (listener.tls) state->ssl_ctx = tls::make_server_context(*listener.tls);
  state->fd = listen_on(listener.endpoint, 512, listener.unix_mode);
  const uint16_t port =
      listener.endpoint.kind == Endpoint::Kind::tcp ? bound_port(state->fd.get()) : 0;
  ListenerState& ref = *state;
  {
    std::lock_guard lock(mutex_);
    listeners_.push_back(std::move(state));
  }
  ref.thread = std::thread([this, &ref] { accept_loop(ref); });
  return port;
}

void Server::accept_loop(ListenerState& state) {
  while (!stopping_) {
    pollfd fds[2] = {{state.fd.get(), POLLIN, 0}, {drain_fd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("poll on listener failed", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents & POLLIN) return;
    if (!(fds[0].revents & POLLIN)) continue;
    UniqueFd fd(::accept4(state.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) {
      // Out of fds or a connection reset before accept: keep serving the others.
      if (errno == EMFILE || errno == ENFILE) ::usleep(10'000);
      continue;
    }
    std::lock_guard lock(mutex_);
    ++active_connections_;
    connection_fds_.insert(fd.get());
    std::thread([this, &state, conn = std::move(fd)]() mutable {
      serve_connection(std::move(conn), state);
    }).detach();
  }
}

void Server::serve_connection(UniqueFd fd, ListenerState& state) {
  const int raw_fd = fd.get();
  try {
    std::unique_ptr<Stream> stream;
    if (state.ssl_ctx) {
      stream = make_tls_stream(std::move(fd), state.ssl_ctx.get(), TlsRole::server, "",
                               limits_.tls_handshake_timeout, drain_fd_.get());
    } else {
      stream = make_socket_stream(std::move(fd));
    }
    Connection connection(*this, std::move(stream));
    try {
      connection.run();
      linger(*connection.stream_);
    } catch (const std::exception& e) {
      log::debug("connection ended", {{"error", e.what()}});
    }
    // Unregister before the fd closes, so stop() never shuts down a reused fd number.
    std::lock_guard lock(mutex_);
    connection_fds_.erase(raw_fd);
    connection.stream_.reset();
  } catch (const std::exception& e) {
    log::debug("connection refused", {{"error", e.what()}});  // failed TLS handshake, mostly
    std::lock_guard lock(mutex_);
    connection_fds_.erase(raw_fd);
  }
  std::lock_guard lock(mutex_);
  // Under the lock, like the notify: stop() cannot return before this thread is done with us.
  if (--active_connections_ == 0 && !stopping_ && on_idle_) on_idle_();
  idle_cv_.notify_all();
}

void Server::dispatch(Request& request, Response& response) {
  if (filter_ && !filter_(request, response)) return;
  auto match = router_.match(request.method(), request.path());
  if (!match.handler) {
    if (match.path_known)
      response.send_error(405, "method " + request.method() + " not allowed for " + request.path());
    else
      response.send_error(404, "page not found");
    return;
  }
  request.params_ = std::move(match.params);
  (*match.handler)(request, response);
}

void Server::stop(Clock::duration grace) {
  if (stopping_.exchange(true)) {
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [this] { return active_connections_ == 0; });
    return;
  }
  signal_eventfd(drain_fd_.get());
  for (auto& l : listeners_) {
    if (l->thread.joinable()) l->thread.join();
    if (l->config.endpoint.kind == Endpoint::Kind::unix_socket)
      ::unlink(l->config.endpoint.path.c_str());
    l->fd.reset();
  }
  std::unique_lock lock(mutex_);
  if (!idle_cv_.wait_for(lock, grace, [this] { return active_connections_ == 0; })) {
    signal_eventfd(force_fd_.get());
    for (int fd : connection_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  idle_cv_.wait(lock, [this] { return active_connections_ == 0; });
}

}  // namespace berth::http
