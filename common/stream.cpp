#include "common/stream.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "common/error.hpp"
#include "common/sigpipe_blocker.hpp"

namespace berth {

void Stream::wait_ready(int fd, short events, const char* what) const {
  const auto start = Clock::now();
  const auto limit = std::min(deadline_, start + io_timeout_);
  for (;;) {
    const auto now = Clock::now();
    if (now >= limit) throw Timeout(std::string("timed out waiting to ") + what);
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(limit - now).count();
    pollfd fds[2] = {{fd, events, 0}, {interrupt_fd_, POLLIN, 0}};
    const int n = ::poll(fds, interrupt_fd_ >= 0 ? 2 : 1,
                         static_cast<int>(std::min<long long>(left, 60'000)));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(std::string("poll while waiting to ") + what);
    }
    if (interrupt_fd_ >= 0 && (fds[1].revents & POLLIN))
      throw SystemError(std::string("connection closed by shutdown while waiting to ") + what,
                        ECONNABORTED);
    // Errors and hang-ups count as ready: the following read/write reports them precisely.
    if (fds[0].revents != 0) return;
  }
}

namespace {

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl O_NONBLOCK");
}

bool peer_closed_fd(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

class SocketStream final : public Stream {
 public:
  explicit SocketStream(UniqueFd fd) : fd_(std::move(fd)) { set_nonblocking(fd_.get()); }

  size_t read_some(void* data, size_t size) override {
    for (;;) {
      const ssize_t n = ::read(fd_.get(), data, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) return 0;
      if (errno != EAGAIN) throw_errno("read from connection");
      wait_ready(fd_.get(), POLLIN, "read");
    }
  }

  void write_all(const void* data, size_t size) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::send(fd_.get(), p, size, MSG_NOSIGNAL);
      if (n >= 0) {
        p += n;
        size -= static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) throw_errno("write to connection");
      wait_ready(fd_.get(), POLLOUT, "write");
    }
  }

  void shutdown_write() override {
    if (::shutdown(fd_.get(), SHUT_WR) < 0 && errno != ENOTCONN) throw_errno("shutdown(SHUT_WR)");
  }

  bool peer_closed() override { return peer_closed_fd(fd_.get()); }
  int native_fd() const override { return fd_.get(); }

 private:
  UniqueFd fd_;
};

std::string openssl_error_text() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "unknown TLS error" : text;
}

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

// OpenSSL objects are not safe for concurrent use, so every SSL_* call holds mutex_; calls never
// block (the socket is non-blocking), so a reader waiting for data never stalls a writer.
class TlsStream final : public Stream {
 public:
  TlsStream(UniqueFd fd, SSL_CTX* ctx, TlsRole role, const std::string& server_name,
            Clock::duration handshake_timeout, int interrupt_fd)
      : fd_(std::move(fd)), ssl_(SSL_new(ctx)) {
    if (!ssl_) throw Error("TLS: cannot create session: " + openssl_error_text());
    set_nonblocking(fd_.get());
    SSL_set_fd(ssl_.get(), fd_.get());
    set_interrupt_fd(interrupt_fd);
    if (role == TlsRole::client) {
      if (!server_name.empty()) SSL_set_tlsext_host_name(ssl_.get(), server_name.c_str());
      SSL_set_connect_state(ssl_.get());
    } else {
      SSL_set_accept_state(ssl_.get());
    }
    set_deadline(Clock::now() + handshake_timeout);
    try {
      SigpipeBlocker no_sigpipe;
      retry("TLS handshake", [this] { return SSL_do_handshake(ssl_.get()); });
    } catch (...) {
      // Let the alert OpenSSL queued (e.g. "certificate required") reach the peer before the close:
      // closing with the peer's bytes unread would send a reset that overtakes it.
      ::shutdown(fd_.get(), SHUT_WR);
      char sink[4096];
      for (int i = 0; i < 20; ++i) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, 10) <= 0) continue;
        if (::read(fd_.get(), sink, sizeof sink) <= 0) break;
      }
      throw;
    }
    clear_deadline();
  }

  ~TlsStream() override {
    std::lock_guard lock(mutex_);
    SigpipeBlocker no_sigpipe;
    if (!broken_ && !(SSL_get_shutdown(ssl_.get()) & SSL_SENT_SHUTDOWN)) SSL_shutdown(ssl_.get());
  }

  size_t read_some(void* data, size_t size) override {
    if (size == 0) return 0;
    const int want = static_cast<int>(std::min<size_t>(size, 1 << 30));
    try {
      return static_cast<size_t>(retry("read", [&] { return SSL_read(ssl_.get(), data, want); }));
    } catch (const EndOfStream&) {
      return 0;
    }
  }

  void write_all(const void* data, size_t size) override {
    SigpipeBlocker no_sigpipe;  // OpenSSL writes with write(2): a reset peer must not kill us
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const int chunk = static_cast<int>(std::min<size_t>(size, 1 << 20));
      const int n = retry("write", [&] { return SSL_write(ssl_.get(), p, chunk); });
      p += n;
      size -= static_cast<size_t>(n);
    }
  }

  void shutdown_write() override {
    // The first SSL_shutdown sends close_notify and returns 0; reading may continue afterwards.
    SigpipeBlocker no_sigpipe;
    retry("send TLS close_notify", [this] {
      const int r = SSL_shutdown(ssl_.get());
      return r >= 0 ? 1 : r;
    });
  }

  bool peer_closed() override {
    if (peer_closed_fd(fd_.get())) return true;
    std::lock_guard lock(mutex_);
    return (SSL_get_shutdown(ssl_.get()) & SSL_RECEIVED_SHUTDOWN) != 0;
  }

  int native_fd() const override { return fd_.get(); }

 private:
  struct EndOfStream {};

  // Runs one SSL_* call until it makes progress, waiting on the socket as OpenSSL asks.
  template <class Op>
  int retry(const char* what, Op op) {
    for (;;) {
      int result, err;
      {
        std::lock_guard lock(mutex_);
        ERR_clear_error();
        errno = 0;
        result = op();
        if (result > 0) return result;
        err = SSL_get_error(ssl_.get(), result);
        const bool reading = std::strcmp(what, "read") == 0;
        if (err == SSL_ERROR_ZERO_RETURN && reading) throw EndOfStream{};
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
          broken_ = true;
          if (err == SSL_ERROR_ZERO_RETURN ||
              (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
               (errno == 0 || errno == ECONNRESET || errno == EPIPE))) {
            // The peer closed: the end of a read, a failure of anything else.
            if (reading) throw EndOfStream{};
            throw SystemError(std::string("TLS ") + what + ": connection closed by peer", EPIPE);
          }
          if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
            throw_errno(std::string("TLS ") + what);
          throw Error(std::string("TLS ") + what + " failed: " + openssl_error_text());
        }
      }
      wait_ready(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, what);
    }
  }

  UniqueFd fd_;
  std::unique_ptr<SSL, SslFree> ssl_;
  std::mutex mutex_;
  bool broken_ = false;
};

class PrefixedStream final : public Stream {
 public:
  PrefixedStream(std::string prefix, std::unique_ptr<Stream> inner)
      : prefix_(std::move(prefix)), inner_(std::move(inner)) {}

  size_t read_some(void* data, size_t size) override {
    if (offset_ < prefix_.size()) {
      const size_t n = std::min(size, prefix_.size() - offset_);
      std::memcpy(data, prefix_.data() + offset_, n);
      offset_ += n;
      return n;
    }
    return inner_->read_some(data, size);
  }
  void write_all(const void* data, size_t size) override { inner_->write_all(data, size); }
  void shutdown_write() override { inner_->shutdown_write(); }
  bool peer_closed() override { return offset_ >= prefix_.size() && inner_->peer_closed(); }
  int native_fd() const override { return inner_->native_fd(); }
  void set_io_timeout(Clock::duration timeout) override { inner_->set_io_timeout(timeout); }
  void set_deadline(Clock::time_point deadline) override { inner_->set_deadline(deadline); }
  void set_interrupt_fd(int fd) override { inner_->set_interrupt_fd(fd); }

 private:
  std::string prefix_;
  size_t offset_ = 0;
  std::unique_ptr<Stream> inner_;
};

}  // namespace

std::unique_ptr<Stream> make_socket_stream(UniqueFd fd) {
  return std::make_unique<SocketStream>(std::move(fd));
}

std::unique_ptr<Stream> make_tls_stream(UniqueFd fd, SSL_CTX* ctx, TlsRole role,
                                        const std::string& server_name,
                                        Clock::duration handshake_timeout, int interrupt_fd) {
  return std::make_unique<TlsStream>(std::move(fd), ctx, role, server_name, handshake_timeout,
                                     interrupt_fd);
}

std::unique_ptr<Stream> make_prefixed_stream(std::string prefix, std::unique_ptr<Stream> inner) {
  if (prefix.empty()) return inner;
  return std::make_unique<PrefixedStream>(std::move(prefix), std::move(inner));
}

}  // namespace berth
