#pragma once
// The user's certificates (STORE/certs) and each machine's copies (STORE/machines/NAME).
//
// certs/ holds one CA (ca.pem, ca-key.pem) and one client certificate (cert.pem, key.pem) for all
// machines, as docker-machine does: every engine trusts clients signed by this CA, so one
// DOCKER_CERT_PATH layout works for every machine. A machine folder gets its own server certificate
// plus copies of ca.pem, cert.pem and key.pem so DOCKER_CERT_PATH can point at the folder alone.
#include <string>
#include <vector>

#include "common/certificates.hpp"

namespace berth::machine {

// File names docker expects in DOCKER_CERT_PATH, and the server pair berthd is given.
inline constexpr const char* kCaCert = "ca.pem";
inline constexpr const char* kCaKey = "ca-key.pem";
inline constexpr const char* kClientCert = "cert.pem";
inline constexpr const char* kClientKey = "key.pem";
inline constexpr const char* kServerCert = "server.pem";
inline constexpr const char* kServerKey = "server-key.pem";

// Validity of everything berth issues: long enough that nobody meets an expiry in daily use.
inline constexpr int kCertValidDays = 3 * 365;

// The SANs of a machine's server certificate: its IP, its name, localhost, 127.0.0.1 and every
// --tls-san, without duplicates and without empty entries, in that order.
std::vector<std::string> server_certificate_sans(const std::string& ip,
                                                 const std::string& machine_name,
                                                 const std::vector<std::string>& extra_sans);

class CertStore {
 public:
  explicit CertStore(std::string certs_dir);

  const std::string& dir() const { return dir_; }
  std::string path(const char* file) const { return dir_ + "/" + file; }

  // Creates the CA and the client certificate when missing (first use); the files are written
  // atomically, keys with mode 0600. Loads and checks them otherwise: a CA that cannot sign is an
  // InvalidArgument naming the file, because silently replacing it would lock out every machine.
  tls::CertificateAuthority ensure();

  // Replaces the CA and the client certificate (regenerate-certs --client-certs). Every machine's
  // server certificate must be re-issued afterwards.
  tls::CertificateAuthority regenerate();

  // Issues server.pem/server-key.pem for a machine into `machine_dir` and copies ca.pem, cert.pem
  // and key.pem next to them. Returns the SANs written.
  std::vector<std::string> issue_machine_certificates(const std::string& machine_dir,
                                                      const std::string& machine_name,
                                                      const std::string& ip,
                                                      const std::vector<std::string>& extra_sans);

  // Only the client copies (ca.pem, cert.pem, key.pem), for machines without a server of berth's
  // (the none driver).
  void copy_client_certificates(const std::string& machine_dir);

 private:
  tls::CertificateAuthority create_all();

  std::string dir_;
};

}  // namespace berth::machine
