#include "engine/images/digest.hpp"

// OpenSSL's SHA256_* calls are deprecated in favour of EVP, but EVP fetches the algorithm from the
// default provider, whose set-up leaves ~2 MB of libcrypto resident in an engine that runs for
// months and only ever needs this one hash. The low-level calls run the same assembly without it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth::engine {

struct Sha256::Context {
  SHA256_CTX ctx;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  if (SHA256_Init(&context_->ctx) != 1) throw Error("cannot initialise a sha256 digest");
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) {
  if (!data.empty() && SHA256_Update(&context_->ctx, data.data(), data.size()) != 1)
    throw Error("sha256 digest update failed");
}

std::string Sha256::hex() {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  const unsigned int length = SHA256_DIGEST_LENGTH;
  if (SHA256_Final(digest, &context_->ctx) != 1) throw Error("sha256 digest failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  Sha256 hash;
  hash.update(data);
  return hash.hex();
}

std::string sha256_file_digest(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open " + path.string());
  Sha256 hash;
  std::string buffer(1 << 16, '\0');
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + path.string());
    if (n == 0) break;
    hash.update(buffer.data(), static_cast<size_t>(n));
  }
  return "sha256:" + hash.hex();
}

bool is_sha256_digest(std::string_view digest) {
  if (!digest.starts_with("sha256:") || digest.size() != 7 + 64) return false;
  return std::all_of(digest.begin() + 7, digest.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string digest_hex(std::string_view digest) {
  if (!is_sha256_digest(digest))
    throw InvalidArgument("invalid digest \"" + std::string(digest) + "\": want sha256:<64 hex>");
  return std::string(digest.substr(7));
}

std::string chain_id(std::string_view parent_chain_id, std::string_view diff_id) {
  if (parent_chain_id.empty()) return std::string(diff_id);
  return "sha256:" + sha256_hex(std::string(parent_chain_id) + " " + std::string(diff_id));
}

}  // namespace berth::engine
