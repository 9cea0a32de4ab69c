#pragma once
// sha256 digests as the image formats spell them ("sha256:<64 hex>"): streaming hashers for layer
// tars and blobs, and the chain ID that names a stack of layers.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace berth::engine {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  void update(const void* data, size_t size) {
    update(std::string_view(static_cast<const char*>(data), size));
  }
  // Lower-case hex of everything fed so far. The hasher is spent afterwards.
  std::string hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

std::string sha256_hex(std::string_view data);
// "sha256:" + hex of the whole file; throws SystemError.
std::string sha256_file_digest(const std::filesystem::path& path);

// "sha256:<hex>" -> "<hex>"; throws InvalidArgument for anything but a well-formed sha256 digest,
// so the result is always safe to use as a file name.
std::string digest_hex(std::string_view digest);
bool is_sha256_digest(std::string_view digest);

// The OCI chain ID: the first layer's diff ID, then sha256(parent_chain + " " + diff_id).
std::string chain_id(std::string_view parent_chain_id, std::string_view diff_id);

}  // namespace berth::engine
