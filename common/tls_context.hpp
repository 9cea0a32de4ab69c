#pragma once
// OpenSSL contexts for berth's TLS listeners and clients: TLS 1.2 or newer, and for servers mutual
// TLS — a client must present a certificate signed by the configured CA or the handshake fails.
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace berth::tls {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const;
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

struct ServerTlsConfig {
  std::string cert_pem;  // server certificate (chain)
  std::string key_pem;
  std::string ca_pem;  // CA that signs accepted client certificates
  bool verify_clients = true;
};

struct ClientTlsConfig {
  std::string ca_pem;    // CA that signs the server certificate; empty = do not verify the server
  std::string cert_pem;  // client certificate, optional
  std::string key_pem;
  std::string server_name;  // host name or IP the server certificate must carry as a SAN
};

SslCtxPtr make_server_context(const ServerTlsConfig& config);
SslCtxPtr make_client_context(const ClientTlsConfig& config);

// Reads the three PEM files of a docker-style certificate directory (ca.pem, cert.pem, key.pem).
ClientTlsConfig load_client_config_from_dir(const std::string& dir, const std::string& server_name);

}  // namespace berth::tls
