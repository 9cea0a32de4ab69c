#include "machine/ssh_key.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/subprocess.hpp"

namespace berth::machine {

namespace {

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

}  // namespace

SshKeyPair ensure_ssh_key(const std::string& private_key_path, const std::string& comment) {
  SshKeyPair pair{private_key_path, private_key_path + ".pub", ""};
  namespace fs = std::filesystem;
  if (!(fs::exists(pair.private_key_path) && fs::exists(pair.public_key_path))) {
    // ssh-keygen refuses to overwrite a half-written pair interactively; clear it first.
    std::error_code ignored;
    fs::remove(pair.private_key_path, ignored);
    fs::remove(pair.public_key_path, ignored);
    CaptureResult result;
    try {
      result = run_capture({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f",
                            pair.private_key_path},
                           {}, std::chrono::seconds(10));
    } catch (const SystemError& e) {
      throw Error("cannot create the SSH key " + pair.private_key_path + ": " + e.what() +
                  " — install openssh-client (ssh-keygen)");
    }
    if (!result.status.success()) {
      throw Error("cannot create the SSH key " + pair.private_key_path + ": ssh-keygen " +
                  result.status.describe() + ": " + first_line(result.stderr_data));
    }
  }
  ::chmod(pair.private_key_path.c_str(), 0600);  // ssh refuses keys others can read
  pair.public_key = first_line(read_file(pair.public_key_path));
  return pair;
}

}  // namespace berth::machine
