#include "common/http_client.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/beast_stream.hpp"

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace berth::http {

namespace {

std::string find_header(const ClientHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(a) == std::tolower(b);
        }))
      return v;
  }
  return {};
}

template <class Parser>
ClientHeaders collect_headers(const Parser& parser) {
  ClientHeaders headers;
  for (const auto& field : parser.get())
    headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return headers;
}

[[noreturn]] void throw_read_error(const beast::error_code& ec, const char* what) {
  if (ec == beast::error::timeout) throw Timeout(std::string("timed out reading ") + what);
  throw Error(std::string("connection error reading ") + what + ": " + ec.message());
}

}  // namespace

std::string error_message_from_body(int status, std::string_view body) {
  try {
    auto j = nlohmann::json::parse(body);
    if (j.is_object() && j.contains("message") && j["message"].is_string())
      return j["message"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
  }
  std::string text(body);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text.empty() ? "HTTP status " + std::to_string(status) : text;
}

std::string ClientResponse::header(std::string_view name) const {
  return find_header(headers, name);
}
std::string Hijacked::header(std::string_view name) const {
  return find_header(headers, name);
}

// ---- ResponseStream
// ------------------------------------------------------------------------------

struct ResponseStream::Impl {
  HttpClient* client = nullptr;
  std::unique_ptr<Stream> stream;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  bool closed = false;
};

ResponseStream::ResponseStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ResponseStream::~ResponseStream() {
  close();
}

std::string ResponseStream::header(std::string_view name) const {
  return find_header(headers_, name);
}

size_t ResponseStream::read_some(char* data, size_t size) {
  if (impl_->closed || size == 0) return 0;
  auto& p = impl_->parser;
  detail::BeastStream bs(*impl_->stream);
  while (!p.is_done()) {
    p.get().body().data = data;
    p.get().body().size = size;
    beast::error_code ec;
    bhttp::read_some(bs, impl_->buffer, p, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    const size_t got = size - p.get().body().size;
    // A body delimited by the connection closing ends with eof: that is its normal end.
    if (ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof) {
      if (got > 0) return got;
      break;
    }
    if (ec) throw_read_error(ec, "response body");
    if (got > 0) return got;
  }
  // Done: hand a clean keep-alive connection back to the client for the next request.
  if (p.is_done() && p.get().keep_alive() && impl_->buffer.size() == 0 && impl_->client) {
    impl_->client->give_back(std::move(impl_->stream), {});
  }
  impl_->closed = true;
  impl_->stream.reset();
  return 0;
}

bool ResponseStream::read_line(std::string& line) {
  for (;;) {
    if (auto nl = line_buffer_.find('\n'); nl != std::string::npos) {
      line = line_buffer_.substr(0, nl);
      line_buffer_.erase(0, nl + 1);
      return true;
    }
    char chunk[16 * 1024];
    const size_t n = read_some(chunk, sizeof chunk);
    if (n == 0) {
      if (line_buffer_.empty()) return false;
      line = std::move(line_buffer_);
      line_buffer_.clear();
      return true;
    }
    line_buffer_.append(chunk, n);
  }
}

std::string ResponseStream::read_all(size_t limit) {
  std::string body = std::move(line_buffer_);
  line_buffer_.clear();
  char chunk[64 * 1024];
  while (size_t n = read_some(chunk, sizeof chunk)) {
    if (body.size() + n > limit)
      throw TooLarge("response body exceeds " + std::to_string(limit) + " bytes");
    body.append(chunk, n);
  }
  return body;
}

void ResponseStream::close() {
  if (!impl_ || impl_->closed) return;
  impl_->closed = true;
  impl_->stream.reset();
}

// ---- HttpClient
// ----------------------------------------------------------------------------------

HttpClient::HttpClient(ClientOptions options) : options_(std::move(options)) {
  if (options_.tls) {
    tls_server_name_ =
        options_.tls->server_name.empty() ? options_.endpoint.host : options_.tls->server_name;
    auto config = *options_.tls;
    config.server_name = tls_server_name_;
    ssl_ctx_ = tls::make_client_context(config);
  }
  if (options_.host_header.empty()) {
    options_.host_header =
        options_.endpoint.kind == Endpoint::Kind::unix_socket
            ? "api.moby.localhost"
            : options_.endpoint.host + ":" + std::to_string(options_.endpoint.port);
  }
}

HttpClient::~HttpClient() = default;

std::unique_ptr<Stream> HttpClient::connect() {
  if (idle_) return std::move(idle_);
  UniqueFd fd = connect_to(options_.endpoint, options_.connect_timeout);
  std::unique_ptr<Stream> stream =
      ssl_ctx_ ? make_tls_stream(std::move(fd), ssl_ctx_.get(), TlsRole::client, tls_server_name_,
                                 options_.connect_timeout)
               : make_socket_stream(std::move(fd));
  stream->set_io_timeout(options_.io_timeout);
  return stream;
}

void HttpClient::give_back(std::unique_ptr<Stream> stream, std::string leftover) {
  if (leftover.empty() && stream && !stream->peer_closed()) idle_ = std::move(stream);
}

std::string HttpClient::request_head(std::string_view method, std::string_view target,
                                     const ClientHeaders& headers, std::optional<size_t> length,
                                     bool chunked) const {
  std::string head;
  head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  head += "Host: " + options_.host_header + "\r\n";
  for (const auto& [k, v] : options_.default_headers) head += k + ": " + v + "\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  if (length) head += "Content-Length: " + std::to_string(*length) + "\r\n";
  if (chunked) head += "Transfer-Encoding: chunked\r\n";
  head += "\r\n";
  return head;
}

std::unique_ptr<ResponseStream> HttpClient::open(std::string_view method, std::string_view target,
                                                 BodySource body, const ClientHeaders& headers,
                                                 std::string_view fixed_body) {
  // A reused keep-alive connection may have been closed by the server meanwhile: one retry on a
  // fresh connection, only when nothing of the response arrived and the body can be sent again.
  for (int attempt = 0;; ++attempt) {
    const bool reused = idle_ != nullptr;
    auto impl = std::make_unique<ResponseStream::Impl>();
    impl->client = this;
    impl->stream = connect();
    impl->parser.body_limit(boost::none);
    if (method == "HEAD") impl->parser.skip(true);
    bool sent = false;
    std::exception_ptr send_error;
    try {
      const bool has_fixed = !body;
      const bool send_length =
          has_fixed && (!fixed_body.empty() || method == "POST" || method == "PUT");
      std::string head = request_head(
          method, target, headers,
          send_length ? std::optional<size_t>(fixed_body.size()) : std::nullopt, !has_fixed);
      if (has_fixed && fixed_body.size() < 64 * 1024) {
        head.append(fixed_body);
        impl->stream->write_all(head);
      } else {
        impl->stream->write_all(head);
        if (has_fixed) impl->stream->write_all(fixed_body);
      }
      if (body) {
        std::vector<char> chunk(256 * 1024);
        while (size_t n = body(chunk.data(), chunk.size())) {
          char size_line[24];
          const int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
          impl->stream->write_all(size_line, static_cast<size_t>(len));
          impl->stream->write_all(chunk.data(), n);
          impl->stream->write_all("\r\n", 2);
        }
        impl->stream->write_all("0\r\n\r\n", 5);
      }
      sent = true;
    } catch (const Error&) {
      // The server may have answered early (413) and closed: read that answer below if it is there.
      send_error = std::current_exception();
    }
    detail::BeastStream bs(*impl->stream);
    beast::error_code ec;
    bhttp::read_header(bs, impl->buffer, impl->parser, ec);
    if (ec) {
      const bool stale = reused && attempt == 0 && !body &&
                         (ec == bhttp::error::end_of_stream || ec == boost::asio::error::eof ||
                          ec.category() == boost::system::system_category());
      if (stale) continue;
      if (send_error && !sent) std::rethrow_exception(send_error);
      throw_read_error(ec, "response header");
    }
    auto stream = std::unique_ptr<ResponseStream>(new ResponseStream(std::move(impl)));
    stream->status_ = stream->impl_->parser.get().result_int();
    stream->headers_ = collect_headers(stream->impl_->parser);
    return stream;
  }
}

ClientResponse HttpClient::request(std::string_view method, std::string_view target,
                                   std::string_view body, const ClientHeaders& headers,
                                   size_t body_limit) {
  ClientHeaders all = headers;
  if (!body.empty() && find_header(headers, "Content-Type").empty())
    all.emplace_back("Content-Type", "application/json");
  auto stream = open(method, target, {}, all, body);
  ClientResponse response;
  response.status = stream->status();
  response.headers = stream->headers();
  response.body = stream->read_all(body_limit);
  return response;
}

Hijacked HttpClient::hijack(std::string_view method, std::string_view target, std::string_view body,
                            const ClientHeaders& headers) {
  std::unique_ptr<Stream> stream = connect();
  ClientHeaders all = headers;
  all.emplace_back("Connection", "Upgrade");
  all.emplace_back("Upgrade", "tcp");
  if (!body.empty() && find_header(headers, "Content-Type").empty())
    all.emplace_back("Content-Type", "application/json");
  stream->write_all(request_head(method, target, all, body.size(), false).append(body));

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  detail::BeastStream bs(*stream);
  beast::error_code ec;
  bhttp::read_header(bs, buffer, parser, ec);
  if (ec) throw_read_error(ec, "upgrade response");
  const int status = parser.get().result_int();
  if (status >= 300) {
    std::string text;
    char chunk[8192];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      bhttp::read_some(bs, buffer, parser, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      text.append(chunk, sizeof chunk - parser.get().body().size);
      if (ec) break;
    }
    throw HttpStatusError(status, error_message_from_body(status, text));
  }
  Hijacked result;
  result.status = status;
  result.headers = collect_headers(parser);
  const auto pending = buffer.data();
  std::string leftover(static_cast<const char*>(pending.data()), pending.size());
  result.stream = make_prefixed_stream(std::move(leftover), std::move(stream));
  result.stream->set_io_timeout(std::chrono::hours(24 * 365));
  return result;
}

}  // namespace berth::http
