#pragma once
// A hand-written SshSession for the provisioner's unit tests: one FakeSshHost stands for the
// machine (its host key, files, and what its shell answers); every session made by the factory
// talks to it and records what it was asked to do.
#include <openssl/evp.h>

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "machine/ssh_session.hpp"

namespace berth::machine::testing {

struct FakeSshHost {
  std::string host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyOne";
  int refuse_connects = 0;  // the next N connects fail as a booting machine's would
  std::string uname = "Linux";
  std::string os_release = "NAME=\"berth\"\nPRETTY_NAME=\"berth VM 0.1.0\"\nID=berth\n";
  // What the machine's berthd, berth-shim and berth-agent hash to; missing: not installed.
  std::map<std::string, std::string> binary_hashes;
  bool engine_running = true;  // what `pidof berthd` finds
  // Checked first for every command; return a result to answer it.
  std::function<std::optional<SshExecResult>(const std::string&)> on_command;

  int connects = 0;
  std::vector<std::string> commands;
  std::map<std::string, std::string> files;  // uploads, by remote path
  std::map<std::string, int> modes;
  std::vector<std::string> upload_order;
};

inline std::string sha256(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

class FakeSshSession : public SshSession {
 public:
  explicit FakeSshSession(std::shared_ptr<FakeSshHost> host) : host_(std::move(host)) {}

  std::string connect(const SshTarget& target, SshDeadline) override {
    ++host_->connects;
    if (host_->refuse_connects > 0) {
      --host_->refuse_connects;
      throw SshError("cannot connect to " + target.host + ": Connection refused");
    }
    check_host_key(target, host_->host_key);
    connected_ = true;
    return host_->host_key;
  }

  SshExecResult run(const std::string& command, std::string_view, SshDeadline) override {
    require_connected();
    host_->commands.push_back(command);
    if (host_->on_command) {
      if (auto answer = host_->on_command(command)) return *answer;
    }
    SshExecResult r;
    r.exit_status = 0;
    if (command.rfind("uname", 0) == 0) {
      r.stdout_data = host_->uname + "\n" + host_->os_release;
    } else if (command.find("sha256sum") != std::string::npos) {
      // As the state command's sha256sum: a line per file that exists, among those it names.
      std::istringstream words(command);
      std::string word;
      while (words >> word) {
        if (word.rfind("/etc/berth/", 0) != 0) continue;
        auto it = host_->files.find(word);
        if (it != host_->files.end()) r.stdout_data += sha256(it->second) + "  " + word + "\n";
      }
      // The image's SHA256SUMS, with the binaries the machine has.
      for (const auto& [name, hash] : host_->binary_hashes) {
        r.stdout_data += hash + "  image:" + name + "\n";
      }
      r.stdout_data += host_->engine_running ? "engine running\n" : "engine stopped\n";
    }
    return r;
  }

  void upload(std::string_view bytes, const std::string& remote_path, int mode,
              SshDeadline) override {
    require_connected();
    host_->files[remote_path] = std::string(bytes);
    host_->modes[remote_path] = mode;
    host_->upload_order.push_back(remote_path);
  }

  std::string download(const std::string& remote_path, SshDeadline) override {
    require_connected();
    auto it = host_->files.find(remote_path);
    if (it == host_->files.end()) throw NotFound(remote_path + ": no such file");
    return it->second;
  }

 private:
  void require_connected() const {
    if (!connected_) throw SshError("fake SSH session used before connect()");
  }
  std::shared_ptr<FakeSshHost> host_;
  bool connected_ = false;
};

inline SshSessionFactory fake_ssh_factory(std::shared_ptr<FakeSshHost> host) {
  return [host] { return std::make_unique<FakeSshSession>(host); };
}

}  // namespace berth::machine::testing
