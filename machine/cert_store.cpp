#include "machine/cert_store.hpp"

#include <algorithm>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace berth::machine {

std::vector<std::string> server_certificate_sans(const std::string& ip,
                                                 const std::string& machine_name,
                                                 const std::vector<std::string>& extra_sans) {
  std::vector<std::string> sans;
  auto add = [&](const std::string& san) {
    if (!san.empty() && std::find(sans.begin(), sans.end(), san) == sans.end()) sans.push_back(san);
  };
  add(ip);
  add(machine_name);
  add("localhost");
  add("127.0.0.1");
  for (const auto& san : extra_sans) add(san);
  return sans;
}

CertStore::CertStore(std::string certs_dir) : dir_(std::move(certs_dir)) {}

tls::CertificateAuthority CertStore::create_all() {
  ensure_directory(dir_, 0700);
  auto ca = tls::create_ca("berth machine CA", 10 * 365);
  auto client = tls::issue_client_certificate(ca, "berth client", kCertValidDays);
  // Keys first and the CA certificate last: ensure() treats a missing ca.pem as "never created", so
  // a crash part-way leaves a store that is simply created again.
  write_file_atomic(path(kCaKey), ca.key_pem, 0600);
  write_file_atomic(path(kClientKey), client.key_pem, 0600);
  write_file_atomic(path(kClientCert), client.cert_pem, 0644);
  write_file_atomic(path(kCaCert), ca.cert_pem, 0644);
  return ca;
}

tls::CertificateAuthority CertStore::ensure() {
  namespace fs = std::filesystem;
  bool complete = fs::exists(path(kCaCert)) && fs::exists(path(kCaKey)) &&
                  fs::exists(path(kClientCert)) && fs::exists(path(kClientKey));
  if (!fs::exists(path(kCaCert))) return create_all();
  if (!complete) {
    throw InvalidArgument("the certificate folder " + dir_ +
                          " is incomplete (it needs ca.pem, ca-key.pem, cert.pem and key.pem) — "
                          "run `berth machine regenerate-certs --client-certs` to create new ones");
  }
  return tls::load_certificate_authority(path(kCaCert), path(kCaKey));
}

tls::CertificateAuthority CertStore::regenerate() {
  return create_all();
}

void CertStore::copy_client_certificates(const std::string& machine_dir) {
  ensure();
  write_file_atomic(machine_dir + "/" + kCaCert, read_file(path(kCaCert)), 0644);
  write_file_atomic(machine_dir + "/" + kClientCert, read_file(path(kClientCert)), 0644);
  write_file_atomic(machine_dir + "/" + kClientKey, read_file(path(kClientKey)), 0600);
}

std::vector<std::string> CertStore::issue_machine_certificates(
    const std::string& machine_dir, const std::string& machine_name, const std::string& ip,
    const std::vector<std::string>& extra_sans) {
  auto ca = ensure();
  auto sans = server_certificate_sans(ip, machine_name, extra_sans);
  auto server = tls::issue_server_certificate(ca, machine_name, sans, kCertValidDays);
  write_file_atomic(machine_dir + "/" + kServerKey, server.key_pem, 0600);
  write_file_atomic(machine_dir + "/" + kServerCert, server.cert_pem, 0644);
  copy_client_certificates(machine_dir);
  return sans;
}

}  // namespace berth::machine
