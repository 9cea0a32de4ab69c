#include "common/tls_context.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace berth::tls {

void SslCtxFree::operator()(SSL_CTX* ctx) const {
  SSL_CTX_free(ctx);
}

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

[[noreturn]] void fail(const std::string& what) {
  std::string detail;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    detail += detail.empty() ? "" : "; ";
    detail += buf;
  }
  throw Error("TLS: " + what + (detail.empty() ? "" : ": " + detail));
}

std::unique_ptr<BIO, BioFree> memory_bio(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) fail("cannot allocate a memory BIO");
  return bio;
}

// Loads the certificate and every following certificate of the chain, then the key.
void use_certificate_and_key(SSL_CTX* ctx, const std::string& cert_pem,
                             const std::string& key_pem) {
  auto bio = memory_bio(cert_pem);
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) fail("cannot parse certificate PEM");
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) fail("cannot use certificate");
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) {  // takes ownership on success only
      X509_free(extra);
      fail("cannot add chain certificate");
    }
  }
  ERR_clear_error();  // the loop ends on a "no start line" error
  auto key_bio = memory_bio(key_pem);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) fail("cannot parse private key PEM");
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) fail("cannot use private key");
  if (SSL_CTX_check_private_key(ctx) != 1) fail("private key does not match the certificate");
}

void trust_ca(SSL_CTX* ctx, const std::string& ca_pem) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  auto bio = memory_bio(ca_pem);
  int loaded = 0;
  while (X509* raw = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    std::unique_ptr<X509, X509Free> cert(raw);
    if (X509_STORE_add_cert(store, cert.get()) != 1) fail("cannot add CA certificate");
    ++loaded;
  }
  ERR_clear_error();
  if (loaded == 0) fail("no CA certificate found in PEM");
}

SslCtxPtr new_context(const SSL_METHOD* method) {
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) fail("cannot create context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

SslCtxPtr make_server_context(const ServerTlsConfig& config) {
  auto ctx = new_context(TLS_server_method());
  use_certificate_and_key(ctx.get(), config.cert_pem, config.key_pem);
  if (config.verify_clients) {
    trust_ca(ctx.get(), config.ca_pem);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

SslCtxPtr make_client_context(const ClientTlsConfig& config) {
  auto ctx = new_context(TLS_client_method());
  if (!config.cert_pem.empty()) use_certificate_and_key(ctx.get(), config.cert_pem, config.key_pem);
  if (config.ca_pem.empty()) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  trust_ca(ctx.get(), config.ca_pem);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!config.server_name.empty()) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx.get());
    unsigned char addr[16];
    const bool is_ip = inet_pton(AF_INET, config.server_name.c_str(), addr) == 1 ||
                       inet_pton(AF_INET6, config.server_name.c_str(), addr) == 1;
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, config.server_name.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, config.server_name.c_str(), 0);
    if (ok != 1) fail("cannot set the expected server name " + config.server_name);
  }
  return ctx;
}

ClientTlsConfig load_client_config_from_dir(const std::string& dir,
                                            const std::string& server_name) {
  ClientTlsConfig config;
  config.ca_pem = read_file(dir + "/ca.pem");
  config.cert_pem = read_file(dir + "/cert.pem");
  config.key_pem = read_file(dir + "/key.pem");
  config.server_name = server_name;
  return config;
}

}  // namespace berth::tls
