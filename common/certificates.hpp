#pragma once
// X.509 certificates for berth's TLS endpoints: the engine's --tlsverify listener, the per-machine
// certificates the machine commands install, and the swarm root CA. Everything is exchanged as PEM
// strings so callers decide where (and how atomically) to persist them; OpenSSL types never leak
// out.
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace berth::tls {

// ECDSA P-256 is small and fast; RSA 2048 exists for clients or tools that still expect RSA.
enum class KeyType { ecdsa_p256, rsa_2048 };

// A leaf certificate and its private key (unencrypted PKCS#8), both PEM.
struct Certificate {
  std::string cert_pem;
  std::string key_pem;
};

// Same shape as Certificate, but a separate type so a leaf cannot be passed where a signer is
// needed.
struct CertificateAuthority {
  std::string cert_pem;
  std::string key_pem;
};

struct SubjectAltNames {
  std::vector<std::string> dns;
  std::vector<std::string> ips;  // canonical inet_ntop form: "10.0.0.1", "::1"
};

// Self-signed CA: basicConstraints critical CA:TRUE, keyUsage critical keyCertSign+cRLSign.
CertificateAuthority create_ca(const std::string& common_name, int valid_days = 3650,
                               KeyType key_type = KeyType::ecdsa_p256);

// Server (serverAuth) certificate signed by `ca`. Each SAN that parses as an IPv4/IPv6 address
// becomes an IP SAN, anything else must be a valid DNS name (a leading "*." label is allowed).
// Throws InvalidArgument naming the bad value; at least one SAN is required because modern
// clients (Go's crypto/tls among them) ignore the common name.
Certificate issue_server_certificate(const CertificateAuthority& ca, const std::string& common_name,
                                     const std::vector<std::string>& sans, int valid_days,
                                     KeyType key_type = KeyType::ecdsa_p256);

// Client (clientAuth) certificate signed by `ca`, as used with `docker --tlsverify`.
Certificate issue_client_certificate(const CertificateAuthority& ca, const std::string& common_name,
                                     int valid_days, KeyType key_type = KeyType::ecdsa_p256);

// Reads a whole PEM file. NotFound if it does not exist, SystemError for other I/O failures.
std::string read_pem_file(const std::string& path);

// Loads an existing CA (e.g. a user's ~/.docker/machine/certs) and checks it can sign: the
// certificate is a CA and the key belongs to it. InvalidArgument otherwise.
CertificateAuthority load_certificate_authority(const std::string& cert_path,
                                                const std::string& key_path);

// Inspection. Each takes a PEM certificate and throws InvalidArgument if it does not parse.
SubjectAltNames certificate_sans(const std::string& cert_pem);
std::string certificate_common_name(const std::string& cert_pem);  // "" when there is none
std::chrono::system_clock::time_point certificate_not_after(const std::string& cert_pem);

// Verifies `cert_pem` chains to the single trusted `ca_pem` and is within its validity period.
// Throws berth::Error carrying OpenSSL's verification reason when it does not.
void verify_certificate(const std::string& ca_pem, const std::string& cert_pem);

bool key_matches_certificate(const std::string& cert_pem, const std::string& key_pem);

// SHA-256 over the certificate's DER encoding: lowercase hex, and the raw bytes (swarm join
// tokens embed the root CA digest).
std::string sha256_fingerprint(const std::string& cert_pem);
std::array<std::uint8_t, 32> sha256_der_digest(const std::string& cert_pem);

}  // namespace berth::tls
