#pragma once
// A byte stream with a deadline on every read and write: a connected socket, plain or TLS.
//
// Streams are blocking from the caller's point of view but the fd underneath is non-blocking and
// every wait is a poll() bounded by the stream's deadline, so no read or write can hang forever.
// One thread may read while another writes (hijacked attach/exec connections pump both directions
// at once); the TLS implementation serialises its OpenSSL calls without ever blocking inside them.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/unique_fd.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace berth {

using Clock = std::chrono::steady_clock;

class Stream {
 public:
  virtual ~Stream() = default;

  // Reads at least one byte; returns 0 at end of stream (the peer half-closed or closed).
  // Throws Timeout when the read deadline passes, SystemError on a broken connection.
  virtual size_t read_some(void* data, size_t size) = 0;
  // Writes every byte or throws (Timeout, SystemError).
  virtual void write_all(const void* data, size_t size) = 0;
  // Tells the peer no more bytes will come (TCP FIN / TLS close_notify); reading goes on.
  virtual void shutdown_write() = 0;
  // Non-blocking check: true when the peer has closed its side (used while a response streams
  // and nothing is expected from the client).
  virtual bool peer_closed() = 0;
  virtual int native_fd() const = 0;

  void write_all(std::string_view s) { write_all(s.data(), s.size()); }

  // Each read or write must finish within `timeout` of starting (inactivity bound); a fixed
  // deadline, when set, caps every operation too (bounds a whole request header, defeating
  // slow-drip clients).
  virtual void set_io_timeout(Clock::duration timeout) { io_timeout_ = timeout; }
  virtual void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }
  void clear_deadline() { set_deadline(Clock::time_point::max()); }
  // An fd that becomes readable when the stream's owner is shutting down: any wait ends with
  // an error at once (graceful shutdown of servers). -1 for none.
  virtual void set_interrupt_fd(int fd) { interrupt_fd_ = fd; }

 protected:
  // Waits for `events` on fd within the deadline; throws Timeout or an interrupted error.
  void wait_ready(int fd, short events, const char* what) const;

 private:
  Clock::duration io_timeout_ = std::chrono::seconds(60);
  Clock::time_point deadline_ = Clock::time_point::max();
  int interrupt_fd_ = -1;
};

// A plain connected socket (unix or TCP). Takes ownership of fd and makes it non-blocking.
std::unique_ptr<Stream> make_socket_stream(UniqueFd fd);

enum class TlsRole { client, server };

// TLS over a connected socket; performs the handshake (bounded by `handshake_timeout`) before
// returning. For clients, `server_name` is sent as SNI. Certificate checks are configured in the
// SSL_CTX.
std::unique_ptr<Stream> make_tls_stream(UniqueFd fd, SSL_CTX* ctx, TlsRole role,
                                        const std::string& server_name,
                                        Clock::duration handshake_timeout, int interrupt_fd = -1);

// A stream that first yields `prefix` (bytes already read past an HTTP header) and then reads
// `inner`.
std::unique_ptr<Stream> make_prefixed_stream(std::string prefix, std::unique_ptr<Stream> inner);

}  // namespace berth
