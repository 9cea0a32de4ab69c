#include "common/certificates.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string_view>

#include "common/error.hpp"

namespace berth::tls {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
struct OpensslFree {
  void operator()(void* p) const { OPENSSL_free(p); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using FilePtr = std::unique_ptr<std::FILE, FileClose>;

// Drains the whole thread-local error queue so a stale entry never shows up in a later message.
template <typename E = Error>
[[noreturn]] void throw_openssl(const std::string& what) {
  std::string detail;
  char buf[256];
  while (unsigned long code = ERR_get_error()) {
    ERR_error_string_n(code, buf, sizeof buf);
    detail += detail.empty() ? buf : std::string("; ") + buf;
  }
  throw E(what + ": " + (detail.empty() ? "unknown OpenSSL error" : detail));
}

// A callback that refuses, so an encrypted key fails instead of OpenSSL prompting on the terminal.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

BioPtr memory_bio(const std::string& data) {
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) throw_openssl("allocating a memory BIO");
  return bio;
}

X509Ptr parse_certificate(const std::string& pem) {
  ERR_clear_error();
  X509Ptr cert(PEM_read_bio_X509(memory_bio(pem).get(), nullptr, no_passphrase, nullptr));
  if (!cert) throw_openssl<InvalidArgument>("parsing PEM certificate");
  return cert;
}

PkeyPtr parse_private_key(const std::string& pem) {
  ERR_clear_error();
  PkeyPtr key(PEM_read_bio_PrivateKey(memory_bio(pem).get(), nullptr, no_passphrase, nullptr));
  if (!key)
    throw_openssl<InvalidArgument>("parsing PEM private key (encrypted keys are unsupported)");
  return key;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    throw_openssl("encoding certificate as PEM");
  return drain(bio.get());
}

std::string to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw_openssl("encoding private key as PEM");
  return drain(bio.get());
}

PkeyPtr generate_key(KeyType type) {
  PkeyPtr key(type == KeyType::rsa_2048 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                                        : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key)
    throw_openssl(type == KeyType::rsa_2048 ? "generating RSA 2048 key" : "generating P-256 key");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    throw_openssl(std::string("adding ") + OBJ_nid2sn(nid) + " extension '" + value + "'");
}

// Everything common to CA and leaf certificates; the caller adds role extensions, then signs.
X509Ptr new_certificate(const std::string& common_name, int valid_days, EVP_PKEY* key) {
  if (common_name.empty() || common_name.size() > 64)
    throw InvalidArgument("certificate common name '" + common_name + "' must be 1-64 characters");
  if (valid_days <= 0)
    throw InvalidArgument("certificate validity must be positive, got " +
                          std::to_string(valid_days) + " days");
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) throw_openssl("allocating X509");

  // RFC 5280 wants unique serials per CA; 128 random bits make collisions irrelevant without a
  // serial file, and a positive value keeps strict parsers happy.
  BignumPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1)
    throw_openssl("generating certificate serial");
  if (BN_is_zero(serial.get())) BN_one(serial.get());
  if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    throw_openssl("setting certificate serial");

  // Backdated an hour so a peer whose clock lags ours (a VM fresh from resume) accepts it at once.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), valid_days, 0, nullptr))
    throw_openssl("setting certificate validity");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1)
    throw_openssl<InvalidArgument>("setting common name '" + common_name + "'");
  if (X509_set_pubkey(cert.get(), key) != 1) throw_openssl("setting certificate public key");
  return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) throw_openssl("signing certificate");
}

bool is_dns_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  // A wildcard is only meaningful as the whole leftmost label, and never alone.
  if (name.rfind("*.", 0) == 0) start = 2;
  if (start == name.size()) return false;
  while (start <= name.size()) {
    size_t end = name.find('.', start);
    if (end == std::string::npos) end = name.size();
    const std::string_view label(name.data() + start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      // Underscores are not RFC 1123, but real hostnames carry them and Go's verifier accepts them.
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    }
    start = end + 1;
  }
  return true;
}

GeneralNamePtr make_san(const std::string& value) {
  unsigned char addr[16];
  int addr_len = 0;
  if (inet_pton(AF_INET, value.c_str(), addr) == 1) {
    addr_len = 4;
  } else if (inet_pton(AF_INET6, value.c_str(), addr) == 1) {
    addr_len = 16;
  } else if (!is_dns_name(value)) {
    throw InvalidArgument("subject alternative name '" + value +
                          "' is neither an IP address nor a valid DNS name");
  }
  GeneralNamePtr name(GENERAL_NAME_new());
  Asn1StringPtr data(addr_len ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new());
  if (!name || !data) throw_openssl("allocating subject alternative name");
  const bool ok = addr_len
                      ? ASN1_OCTET_STRING_set(data.get(), addr, addr_len)
                      : ASN1_STRING_set(data.get(), value.data(), static_cast<int>(value.size()));
  if (!ok) throw_openssl("encoding subject alternative name '" + value + "'");
  GENERAL_NAME_set0_value(name.get(), addr_len ? GEN_IPADD : GEN_DNS, data.release());
  return name;
}

void add_sans(X509* cert, const std::vector<std::string>& sans) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (!names) throw_openssl("allocating subject alternative names");
  for (const std::string& value : sans) {
    GeneralNamePtr name = make_san(value);
    if (!sk_GENERAL_NAME_push(names.get(), name.get())) throw_openssl("adding '" + value + "'");
    name.release();  // the stack owns it now
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    throw_openssl("adding subjectAltName extension");
}

struct Signer {
  X509Ptr cert;
  PkeyPtr key;
};

Signer open_signer(const CertificateAuthority& ca) {
  Signer signer{parse_certificate(ca.cert_pem), parse_private_key(ca.key_pem)};
  if (X509_check_ca(signer.cert.get()) == 0)
    throw InvalidArgument("certificate '" + certificate_common_name(ca.cert_pem) +
                          "' is not a certificate authority");
  if (EVP_PKEY_eq(X509_get0_pubkey(signer.cert.get()), signer.key.get()) != 1)
    throw InvalidArgument("CA key does not belong to CA certificate '" +
                          certificate_common_name(ca.cert_pem) + "'");
  return signer;
}

Certificate issue_leaf(const CertificateAuthority& ca, const std::string& common_name,
                       int valid_days, KeyType key_type, const char* extended_usage,
                       const std::vector<std::string>* sans) {
  Signer signer = open_signer(ca);
  PkeyPtr key = generate_key(key_type);
  X509Ptr cert = new_certificate(common_name, valid_days, key.get());
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer.cert.get())) != 1)
    throw_openssl("setting certificate issuer");
  add_extension(cert.get(), signer.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  // keyEncipherment only means something for RSA key transport; on an EC key it is meaningless,
  // so (like Go's crypto/tls) only RSA leaves carry it.
  add_extension(cert.get(), signer.cert.get(), NID_key_usage,
                key_type == KeyType::rsa_2048 ? "critical,digitalSignature,keyEncipherment"
                                              : "critical,digitalSignature");
  add_extension(cert.get(), signer.cert.get(), NID_ext_key_usage, extended_usage);
  add_extension(cert.get(), signer.cert.get(), NID_subject_key_identifier, "hash");
  // "keyid,issuer" falls back to issuer+serial for imported CAs that lack a subjectKeyIdentifier.
  add_extension(cert.get(), signer.cert.get(), NID_authority_key_identifier, "keyid,issuer");
  if (sans) add_sans(cert.get(), *sans);
  sign(cert.get(), signer.key.get());
  return {to_pem(cert.get()), to_pem(key.get())};
}

}  // namespace

CertificateAuthority create_ca(const std::string& common_name, int valid_days, KeyType key_type) {
  PkeyPtr key = generate_key(key_type);
  X509Ptr cert = new_certificate(common_name, valid_days, key.get());
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1)
    throw_openssl("setting CA issuer");
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  sign(cert.get(), key.get());
  return {to_pem(cert.get()), to_pem(key.get())};
}

Certificate issue_server_certificate(const CertificateAuthority& ca, const std::string& common_name,
                                     const std::vector<std::string>& sans, int valid_days,
                                     KeyType key_type) {
  if (sans.empty())
    throw InvalidArgument("server certificate '" + common_name +
                          "' needs at least one DNS name or IP address");
  return issue_leaf(ca, common_name, valid_days, key_type, "serverAuth", &sans);
}

Certificate issue_client_certificate(const CertificateAuthority& ca, const std::string& common_name,
                                     int valid_days, KeyType key_type) {
  return issue_leaf(ca, common_name, valid_days, key_type, "clientAuth", nullptr);
}

std::string read_pem_file(const std::string& path) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    if (errno == ENOENT) throw NotFound("PEM file '" + path + "' does not exist");
    throw_errno("opening '" + path + "'");
  }
  std::string data;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, file.get())) data.append(buf, n);
  if (std::ferror(file.get())) throw_errno("reading '" + path + "'");
  return data;
}

CertificateAuthority load_certificate_authority(const std::string& cert_path,
                                                const std::string& key_path) {
  CertificateAuthority ca{read_pem_file(cert_path), read_pem_file(key_path)};
  try {
    open_signer(ca);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("CA '" + cert_path + "' with key '" + key_path + "': " + e.what());
  }
  return ca;
}

SubjectAltNames certificate_sans(const std::string& cert_pem) {
  X509Ptr cert = parse_certificate(cert_pem);
  SubjectAltNames result;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return result;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* s = name->d.dNSName;
      result.dns.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              ASN1_STRING_length(s));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = name->d.iPAddress;
      const int len = ASN1_STRING_length(s);
      char text[INET6_ADDRSTRLEN];
      if ((len == 4 || len == 16) &&
          inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), text, sizeof text))
        result.ips.emplace_back(text);
    }
  }
  return result;
}

std::string certificate_common_name(const std::string& cert_pem) {
  X509Ptr cert = parse_certificate(cert_pem);
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return "";
  unsigned char* utf8 = nullptr;
  const int len =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  std::unique_ptr<unsigned char, OpensslFree> owned(utf8);
  if (len < 0) throw_openssl<InvalidArgument>("decoding certificate common name");
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
}

std::chrono::system_clock::time_point certificate_not_after(const std::string& cert_pem) {
  X509Ptr cert = parse_certificate(cert_pem);
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1)
    throw_openssl<InvalidArgument>("decoding certificate notAfter");
  using namespace std::chrono;
  const sys_days day = year{tm.tm_year + 1900} / month(static_cast<unsigned>(tm.tm_mon + 1)) /
                       static_cast<unsigned>(tm.tm_mday);
  return day + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

void verify_certificate(const std::string& ca_pem, const std::string& cert_pem) {
  X509Ptr ca = parse_certificate(ca_pem);
  X509Ptr cert = parse_certificate(cert_pem);
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1)
    throw_openssl("setting up certificate verification");
  if (X509_verify_cert(ctx.get()) == 1) return;
  const int err = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  throw Error("certificate '" + certificate_common_name(cert_pem) +
              "' does not verify against CA '" + certificate_common_name(ca_pem) +
              "': " + X509_verify_cert_error_string(err));
}

bool key_matches_certificate(const std::string& cert_pem, const std::string& key_pem) {
  X509Ptr cert = parse_certificate(cert_pem);
  PkeyPtr key = parse_private_key(key_pem);
  return EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) == 1;
}

std::array<std::uint8_t, 32> sha256_der_digest(const std::string& cert_pem) {
  X509Ptr cert = parse_certificate(cert_pem);
  std::array<std::uint8_t, 32> digest{};
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest.data(), &len) != 1 || len != digest.size())
    throw_openssl("computing certificate SHA-256 digest");
  return digest;
}

std::string sha256_fingerprint(const std::string& cert_pem) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t byte : sha256_der_digest(cert_pem)) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return hex;
}

}  // namespace berth::tls
