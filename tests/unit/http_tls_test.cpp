// Mutual TLS between berth's HTTP server and client with certificates from common/certificates.
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <future>
#include <nlohmann/json.hpp>

#include "common/certificates.hpp"
#include "common/error.hpp"
#include "common/stream.hpp"
#include "common/tls_context.hpp"
#include "http_test_support.hpp"

using namespace berth;
using namespace std::chrono_literals;

namespace {

struct Pki {
  tls::CertificateAuthority ca = tls::create_ca("berth test CA");
  tls::CertificateAuthority other_ca = tls::create_ca("somebody else's CA");
  tls::Certificate server =
      tls::issue_server_certificate(ca, "berthd", {"localhost", "127.0.0.1"}, 30);
  tls::Certificate client = tls::issue_client_certificate(ca, "berth client", 30);
  tls::Certificate stranger = tls::issue_client_certificate(other_ca, "stranger", 30);
};

const Pki& pki() {
  static const Pki instance;  // key generation once for all TLS tests
  return instance;
}

struct TlsServer {
  std::unique_ptr<http::Server> server;
  uint16_t port = 0;
  TlsServer() {
    http::Router r;
    r.add("GET", "/_ping",
          [](http::Request&, http::Response& res) { res.send(200, "OK", "text/plain"); });
    r.add("POST", "/hijack", [](http::Request&, http::Response& res) {
      Stream& s = res.hijack("application/vnd.docker.raw-stream");
      std::string got;
      char buf[1024];
      while (size_t n = s.read_some(buf, sizeof buf)) got.append(buf, n);
      s.write_all("tls got:" + got);
    });
    http::ServerLimits limits;
    limits.tls_handshake_timeout = 2s;
    server = std::make_unique<http::Server>(std::move(r), limits);
    tls::ServerTlsConfig config{pki().server.cert_pem, pki().server.key_pem, pki().ca.cert_pem,
                                true};
    port = server->listen({Endpoint::parse("tcp://127.0.0.1:0"), config});
  }
  http::ClientOptions options(const tls::Certificate* cert, std::string server_name = "") const {
    http::ClientOptions o;
    o.endpoint = Endpoint::parse("tcp://127.0.0.1:" + std::to_string(port));
    o.connect_timeout = 3s;
    o.io_timeout = 3s;
    tls::ClientTlsConfig t;
    t.ca_pem = pki().ca.cert_pem;
    if (cert) {
      t.cert_pem = cert->cert_pem;
      t.key_pem = cert->key_pem;
    }
    t.server_name = std::move(server_name);
    o.tls = t;
    return o;
  }
};

}  // namespace

TEST_CASE("TLS handshake succeeds with a client certificate from the configured CA",
          "[http][tls]") {
  TlsServer s;
  http::HttpClient client(s.options(&pki().client));
  auto res = client.request("GET", "/_ping");
  CHECK(res.status == 200);
  CHECK(res.body == "OK");
  CHECK(client.request("GET", "/_ping").body == "OK");  // keep-alive reuse over TLS
}

TEST_CASE("TLS server refuses clients without a certificate or with another CA's", "[http][tls]") {
  TlsServer s;
  SECTION("no client certificate") {
    http::HttpClient client(s.options(nullptr));
    CHECK_THROWS_AS(client.request("GET", "/_ping"), Error);
  }
  SECTION("certificate from another CA") {
    http::HttpClient client(s.options(&pki().stranger));
    CHECK_THROWS_AS(client.request("GET", "/_ping"), Error);
  }
  SECTION("plain HTTP on the TLS port") {
    http::ClientOptions o = s.options(nullptr);
    o.tls.reset();
    http::HttpClient client(o);
    CHECK_THROWS_AS(client.request("GET", "/_ping"), Error);
  }
  // The refused handshakes did not take the server down.
  http::HttpClient good(s.options(&pki().client));
  CHECK(good.request("GET", "/_ping").status == 200);
}

TEST_CASE("TLS client rejects a server certificate whose SANs do not match", "[http][tls]") {
  TlsServer s;
  http::HttpClient wrong_name(s.options(&pki().client, "wrong.example"));
  CHECK_THROWS_WITH(wrong_name.request("GET", "/_ping"),
                    Catch::Contains("certificate verify failed"));
  http::HttpClient by_dns(s.options(&pki().client, "localhost"));
  CHECK(by_dns.request("GET", "/_ping").status == 200);
}

TEST_CASE("TLS client rejects a server certificate from an untrusted CA", "[http][tls]") {
  TlsServer s;
  http::ClientOptions o = s.options(&pki().client);
  o.tls->ca_pem = pki().other_ca.cert_pem;
  http::HttpClient client(o);
  CHECK_THROWS_WITH(client.request("GET", "/_ping"), Catch::Contains("certificate verify failed"));
}

TEST_CASE("a hijacked TLS connection carries bytes both ways with half-close", "[http][tls]") {
  TlsServer s;
  http::HttpClient client(s.options(&pki().client));
  auto h = client.hijack("POST", "/hijack");
  CHECK(h.status == 101);
  h.stream->write_all("ping over tls");
  h.stream->shutdown_write();  // close_notify: the server's read ends, its write side stays open
  h.stream->set_deadline(Clock::now() + 5s);
  std::string got;
  char buf[256];
  while (size_t n = h.stream->read_some(buf, sizeof buf)) got.append(buf, n);
  CHECK(got == "tls got:ping over tls");
}

TEST_CASE("a TLS client that never finishes its handshake is dropped", "[http][tls]") {
  TlsServer s;
  test::RawConnection raw(Endpoint::parse("tcp://127.0.0.1:" + std::to_string(s.port)));
  const auto start = Clock::now();
  CHECK(raw.read_until_close(5s).empty());
  CHECK(Clock::now() - start < 4s);
}

TEST_CASE("writing to a TLS peer that went away is an error and never a SIGPIPE", "[http][tls]") {
  // The default disposition kills the process on SIGPIPE: exactly what a library must not cause.
  struct RestoreSigpipe {
    void (*old)(int) = std::signal(SIGPIPE, SIG_DFL);
    ~RestoreSigpipe() { std::signal(SIGPIPE, old); }
  } restore;
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  UniqueFd client_fd(fds[0]), server_fd(fds[1]);
  tls::ServerTlsConfig server_config{pki().server.cert_pem, pki().server.key_pem, pki().ca.cert_pem,
                                     true};
  tls::ClientTlsConfig client_config;
  client_config.ca_pem = pki().ca.cert_pem;
  client_config.cert_pem = pki().client.cert_pem;
  client_config.key_pem = pki().client.key_pem;
  auto server_ctx = tls::make_server_context(server_config);
  auto client_ctx = tls::make_client_context(client_config);
  auto server = std::async(std::launch::async, [&] {
    return make_tls_stream(std::move(server_fd), server_ctx.get(), TlsRole::server, "", 3s, -1);
  });
  auto client =
      make_tls_stream(std::move(client_fd), client_ctx.get(), TlsRole::client, "localhost", 3s, -1);
  auto server_stream = server.get();
  server_stream.reset();  // the peer goes away: its socket is closed
  const std::string chunk(64 * 1024, 'x');
  CHECK_THROWS_AS(
      [&] {
        for (int i = 0; i < 64; ++i) client->write_all(chunk.data(), chunk.size());
      }(),
      Error);
}
