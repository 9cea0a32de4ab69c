#include "common/certificates.hpp"

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/error.hpp"

using namespace berth::tls;
using Catch::Matchers::Contains;
using std::chrono::system_clock;
namespace fs = std::filesystem;

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                &BIO_free);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  return cert;
}

// Removes the directory even when a REQUIRE throws out of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "berth-certs-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path file = path / name;
    std::ofstream(file) << content;
    REQUIRE(fs::file_size(file) == content.size());
    return file.string();
  }
};

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) { REQUIRE(fd >= 0); }
  ~Fd() { close(fd); }
};

// A child process in its own process group, stdout+stderr captured. The destructor kills the
// group so nothing outlives a failed assertion; every command is also wrapped in `timeout`.
class Child {
 public:
  Child(const std::vector<std::string>& argv, int stdin_fd) {
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(stdin_fd, 0);
      dup2(out[1], 1);
      dup2(out[1], 2);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    out_fd_ = out[0];
    REQUIRE(pid_ > 0);
    setpgid(pid_, pid_);  // also from the parent, so the group exists before any kill()
  }
  ~Child() {
    if (pid_ > 0) {
      // SIGTERM lets `timeout` forward it and reap openssl itself, rather than orphaning a zombie
      // onto init; SIGKILL to the whole group is the fallback.
      kill(pid_, SIGTERM);
      bool reaped = false;
      for (int i = 0; i < 200 && !reaped; ++i) {
        reaped = waitpid(pid_, nullptr, WNOHANG) == pid_;
        if (!reaped) usleep(5000);
      }
      if (!reaped) {
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads until the output so far contains `text` followed by `then`; false on EOF or timeout.
  // Returns what lies between them in `between` (e.g. a port number ended by a newline).
  bool wait_for(const std::string& text, const std::string& then = "",
                std::string* between = nullptr,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const size_t start = output_.find(text);
      const size_t end =
          start == std::string::npos ? start : output_.find(then, start + text.size());
      if (end != std::string::npos) {
        if (between) *between = output_.substr(start + text.size(), end - start - text.size());
        return true;
      }
      if (!read_some(deadline)) return false;
    }
  }

  // Reads to EOF and reaps the process; returns its exit code (-1 if killed by a signal).
  int finish() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (read_some(deadline)) {
    }
    int status = 0;
    REQUIRE(waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  const std::string& output() const { return output_; }

 private:
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{out_fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, int(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, size_t(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
};

// Runs a short command with a file as stdin (or /dev/null); returns {exit code, output}.
std::pair<int, std::string> run(std::vector<std::string> argv,
                                const std::string& stdin_path = "/dev/null") {
  argv.insert(argv.begin(), {"timeout", "10"});
  Fd in(open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC));
  Child child(argv, in.fd);
  const int code = child.finish();
  return {code, child.output()};
}

// Catch2 v2 has no substring matcher for exception messages.
struct MessageContains : Catch::MatcherBase<std::exception> {
  std::string needle;
  explicit MessageContains(std::string n) : needle(std::move(n)) {}
  bool match(const std::exception& e) const override {
    return std::string(e.what()).find(needle) != std::string::npos;
  }
  std::string describe() const override { return "message contains \"" + needle + "\""; }
};

}  // namespace

TEST_CASE("a CA is self-signed, marked CA:TRUE and limited to signing", "[certificates]") {
  const auto key_type = GENERATE(KeyType::ecdsa_p256, KeyType::rsa_2048);
  const CertificateAuthority ca = create_ca("berth test CA", 3650, key_type);
  X509Ptr cert = parse(ca.cert_pem);
  CHECK(X509_check_issued(cert.get(), cert.get()) == X509_V_OK);
  CHECK(X509_check_ca(cert.get()) == 1);  // 1 means basicConstraints CA:TRUE, not a v1 guess
  CHECK(X509_get_key_usage(cert.get()) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  for (int nid : {NID_basic_constraints, NID_key_usage}) {
    const int index = X509_get_ext_by_NID(cert.get(), nid, -1);
    REQUIRE(index >= 0);
    CHECK(X509_EXTENSION_get_critical(X509_get_ext(cert.get(), index)) == 1);
  }
  CHECK(X509_get0_subject_key_id(cert.get()) != nullptr);
  CHECK(EVP_PKEY_get_base_id(X509_get0_pubkey(cert.get())) ==
        (key_type == KeyType::rsa_2048 ? EVP_PKEY_RSA : EVP_PKEY_EC));
  CHECK(certificate_common_name(ca.cert_pem) == "berth test CA");
  CHECK_NOTHROW(verify_certificate(ca.cert_pem, ca.cert_pem));
  const auto expected_end = system_clock::now() + std::chrono::days(3650);
  CHECK(std::chrono::abs(certificate_not_after(ca.cert_pem) - expected_end) <
        std::chrono::minutes(1));
}

TEST_CASE("a server certificate verifies against its CA and not another", "[certificates]") {
  const auto key_type = GENERATE(KeyType::ecdsa_p256, KeyType::rsa_2048);
  const CertificateAuthority ca = create_ca("berth CA", 3650, key_type);
  const CertificateAuthority other = create_ca("other CA");
  const Certificate server = issue_server_certificate(ca, "node1", {"node1"}, 30, key_type);

  CHECK_NOTHROW(verify_certificate(ca.cert_pem, server.cert_pem));
  CHECK_THROWS_MATCHES(
      verify_certificate(other.cert_pem, server.cert_pem), berth::Error,
      MessageContains("unable to get local issuer certificate") && MessageContains("node1"));

  X509Ptr cert = parse(server.cert_pem);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
  CHECK((X509_get_extended_key_usage(cert.get()) & XKU_SSL_CLIENT) == 0);
  CHECK((X509_get_key_usage(cert.get()) & KU_DIGITAL_SIGNATURE) != 0);
  CHECK(X509_get0_authority_key_id(cert.get()) != nullptr);
  // Backdated for clock skew: a peer an hour behind must already accept it.
  CHECK(X509_cmp_time(X509_get0_notBefore(cert.get()), nullptr) < 0);
  const time_t hour_ago = system_clock::to_time_t(system_clock::now() - std::chrono::minutes(59));
  CHECK(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert.get()), hour_ago) < 0);

  // Serials are random: two certificates for the same name must not collide.
  const Certificate again = issue_server_certificate(ca, "node1", {"node1"}, 30);
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()),
                         X509_get0_serialNumber(parse(again.cert_pem).get())) != 0);
  CHECK(sha256_fingerprint(server.cert_pem) != sha256_fingerprint(again.cert_pem));
}

TEST_CASE("subject alternative names round-trip as DNS and IP entries", "[certificates]") {
  const CertificateAuthority ca = create_ca("berth CA");
  const Certificate server = issue_server_certificate(
      ca, "node1",
      {"localhost", "node-1.example.com", "*.svc.example", "10.0.0.7", "::1", "fd00::42"}, 30);
  const SubjectAltNames sans = certificate_sans(server.cert_pem);
  CHECK(sans.dns == std::vector<std::string>{"localhost", "node-1.example.com", "*.svc.example"});
  CHECK(sans.ips == std::vector<std::string>{"10.0.0.7", "::1", "fd00::42"});

  // OpenSSL's own matchers agree, so peers will see the same names.
  X509Ptr cert = parse(server.cert_pem);
  CHECK(X509_check_host(cert.get(), "node-1.example.com", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "api.svc.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "node-2.example.com", 0, 0, nullptr) == 0);
  CHECK(X509_check_ip_asc(cert.get(), "fd00::42", 0) == 1);
  CHECK(X509_check_ip_asc(cert.get(), "10.0.0.8", 0) == 0);
  CHECK(certificate_common_name(server.cert_pem) == "node1");
  CHECK(certificate_sans(ca.cert_pem).dns.empty());
}

TEST_CASE("malformed names and arguments are refused with the bad value named", "[certificates]") {
  const CertificateAuthority ca = create_ca("berth CA");
  const std::string bad = GENERATE(as<std::string>{}, "", "has space", "bad..dots", "-lead.example",
                                   "trail-.example", "[::1]", "fe80::1%eth0", "a*b.example", "*",
                                   "host/path", "1.2.3.4:2376", std::string(64, 'a') + ".example");
  CHECK_THROWS_MATCHES(issue_server_certificate(ca, "node1", {"ok.example", bad}, 30),
                       berth::InvalidArgument, MessageContains("'" + bad + "'"));

  CHECK_THROWS_AS(issue_server_certificate(ca, "node1", {}, 30), berth::InvalidArgument);
  CHECK_THROWS_AS(issue_server_certificate(ca, "node1", {"a"}, 0), berth::InvalidArgument);
  CHECK_THROWS_AS(create_ca(""), berth::InvalidArgument);
  const Certificate leaf = issue_client_certificate(ca, "client", 30);
  CHECK_THROWS_MATCHES(issue_client_certificate({leaf.cert_pem, leaf.key_pem}, "x", 30),
                       berth::InvalidArgument, MessageContains("not a certificate authority"));
  CHECK_THROWS_MATCHES(issue_client_certificate({ca.cert_pem, leaf.key_pem}, "x", 30),
                       berth::InvalidArgument, MessageContains("does not belong"));
  CHECK_THROWS_MATCHES(certificate_sans("not a certificate"), berth::InvalidArgument,
                       MessageContains("parsing PEM certificate"));
}

TEST_CASE("a key matches its own certificate and no other", "[certificates]") {
  const CertificateAuthority ca = create_ca("berth CA");
  const Certificate a = issue_server_certificate(ca, "a", {"a"}, 30);
  const Certificate b = issue_server_certificate(ca, "b", {"b"}, 30);
  CHECK(key_matches_certificate(a.cert_pem, a.key_pem));
  CHECK(key_matches_certificate(ca.cert_pem, ca.key_pem));
  CHECK_FALSE(key_matches_certificate(a.cert_pem, b.key_pem));
  CHECK_FALSE(key_matches_certificate(ca.cert_pem, a.key_pem));
  CHECK_THROWS_AS(key_matches_certificate(a.cert_pem, "garbage"), berth::InvalidArgument);
}

TEST_CASE("a client certificate is for client authentication only", "[certificates]") {
  const CertificateAuthority ca = create_ca("berth CA");
  const Certificate client = issue_client_certificate(ca, "docker-client", 30);
  X509Ptr cert = parse(client.cert_pem);
  const uint32_t eku = X509_get_extended_key_usage(cert.get());
  CHECK((eku & XKU_SSL_CLIENT) != 0);
  CHECK((eku & XKU_SSL_SERVER) == 0);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK_NOTHROW(verify_certificate(ca.cert_pem, client.cert_pem));
  CHECK(certificate_common_name(client.cert_pem) == "docker-client");
}

TEST_CASE("a CA round-trips through PEM files", "[certificates]") {
  TempDir dir;
  const CertificateAuthority ca = create_ca("berth CA");
  const std::string cert_path = dir.write("ca.pem", ca.cert_pem);
  const std::string key_path = dir.write("ca-key.pem", ca.key_pem);
  const CertificateAuthority loaded = load_certificate_authority(cert_path, key_path);
  CHECK(loaded.cert_pem == ca.cert_pem);
  CHECK_NOTHROW(verify_certificate(ca.cert_pem, issue_client_certificate(loaded, "c", 1).cert_pem));
  CHECK_THROWS_MATCHES(read_pem_file((dir.path / "missing.pem").string()), berth::NotFound,
                       MessageContains("missing.pem"));
  const std::string foreign_key = dir.write("other-key.pem", create_ca("other").key_pem);
  CHECK_THROWS_MATCHES(load_certificate_authority(cert_path, foreign_key), berth::InvalidArgument,
                       MessageContains("other-key.pem"));
}

TEST_CASE("the openssl CLI verifies the certificates and completes mutual TLS", "[certificates]") {
  TempDir dir;
  const CertificateAuthority ca = create_ca("berth CLI CA");
  const CertificateAuthority foreign_ca = create_ca("foreign CA");
  const Certificate server =
      issue_server_certificate(ca, "localhost", {"localhost", "127.0.0.1"}, 1);
  const Certificate client = issue_client_certificate(ca, "berth-client", 1);
  const Certificate foreign = issue_client_certificate(foreign_ca, "intruder", 1);
  const std::string ca_pem = dir.write("ca.pem", ca.cert_pem);
  const std::string server_pem = dir.write("server.pem", server.cert_pem);
  const std::string server_key = dir.write("server-key.pem", server.key_pem);
  const std::string client_pem = dir.write("client.pem", client.cert_pem);
  const std::string client_key = dir.write("client-key.pem", client.key_pem);
  const std::string foreign_pem = dir.write("foreign.pem", foreign.cert_pem);
  const std::string foreign_key = dir.write("foreign-key.pem", foreign.key_pem);

  auto [code, out] =
      run({"openssl", "verify", "-CAfile", ca_pem, "-purpose", "sslserver", server_pem});
  CHECK(code == 0);
  CHECK_THAT(out, Contains(server_pem + ": OK"));
  std::tie(code, out) =
      run({"openssl", "verify", "-CAfile", ca_pem, "-purpose", "sslclient", client_pem});
  CHECK(code == 0);
  // The EKUs must keep roles apart: a server certificate is no client certificate.
  std::tie(code, out) =
      run({"openssl", "verify", "-CAfile", ca_pem, "-purpose", "sslclient", server_pem});
  CHECK(code != 0);
  CHECK_THAT(out, Contains("unsuitable certificate purpose"));

  // Our fingerprint agrees with OpenSSL's (which prints uppercase, colon-separated).
  std::tie(code, out) =
      run({"openssl", "x509", "-in", server_pem, "-noout", "-fingerprint", "-sha256"});
  std::string theirs = out.substr(out.find('=') + 1);
  std::erase(theirs, ':');
  std::erase(theirs, '\n');
  for (char& c : theirs) c = char(std::tolower(static_cast<unsigned char>(c)));
  CHECK(theirs == sha256_fingerprint(server.cert_pem));

  // s_server binds an ephemeral port itself and reports it, which avoids a bind-then-release race.
  // It quits on stdin EOF, so its stdin is a pipe we hold open for the test's lifetime.
  // Without -verify_return_error s_server only logs a bad client chain and carries on.
  int server_stdin[2];
  REQUIRE(pipe2(server_stdin, O_CLOEXEC) == 0);
  Fd stdin_read(server_stdin[0]), stdin_write(server_stdin[1]);
  Child s_server(
      {"timeout", "30", "openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", server_pem,
       "-key", server_key, "-Verify", "1", "-verify_return_error", "-CAfile", ca_pem},
      stdin_read.fd);
  std::string port;
  REQUIRE(s_server.wait_for("ACCEPT 127.0.0.1:", "\n", &port));
  REQUIRE(!port.empty());
  REQUIRE(port.find_first_not_of("0123456789") == std::string::npos);
  const std::string address = "127.0.0.1:" + port;

  auto connect = [&](const std::string& payload, std::vector<std::string> extra) {
    std::vector<std::string> argv{
        "openssl", "s_client", "-connect", address, "-CAfile", ca_pem, "-verify_return_error"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, dir.write(payload, payload + "\n"));
  };
  std::tie(code, out) = connect("payload-hostname", {"-cert", client_pem, "-key", client_key,
                                                     "-verify_hostname", "localhost"});
  CHECK_THAT(out, Contains("Verify return code: 0 (ok)"));
  CHECK(s_server.wait_for("payload-hostname"));  // the server accepted our client cert

  std::tie(code, out) =
      connect("payload-ip", {"-cert", client_pem, "-key", client_key, "-verify_ip", "127.0.0.1"});
  CHECK_THAT(out, Contains("Verify return code: 0 (ok)"));
  CHECK(s_server.wait_for("payload-ip"));

  std::tie(code, out) = connect("payload-wronghost", {"-cert", client_pem, "-key", client_key,
                                                      "-verify_hostname", "wrong.example"});
  CHECK(code != 0);
  CHECK_THAT(out, Contains("hostname mismatch"));
  CHECK_THAT(out, !Contains("Verify return code: 0 (ok)"));

  connect("payload-foreign",
          {"-cert", foreign_pem, "-key", foreign_key, "-verify_hostname", "localhost"});
  connect("payload-nocert", {"-verify_hostname", "localhost"});

  // s_server handles one connection at a time, so once this payload arrives every earlier
  // connection is finished and the rejected payloads can be checked for absence.
  connect("payload-barrier",
          {"-cert", client_pem, "-key", client_key, "-verify_hostname", "localhost"});
  REQUIRE(s_server.wait_for("payload-barrier"));
  CHECK_THAT(s_server.output(), !Contains("payload-wronghost"));
  CHECK_THAT(s_server.output(), !Contains("payload-foreign"));
  CHECK_THAT(s_server.output(), !Contains("payload-nocert"));
  CHECK_THAT(s_server.output(), Contains("peer did not return a certificate"));
}
