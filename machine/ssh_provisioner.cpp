// The provisioning steps, in order. Each step is idempotent, so `berth machine provision` simply
// runs them all again.
#include "machine/ssh_provisioner.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "machine/ssh_engine_config.hpp"

namespace berth::machine {

namespace {

std::string read_local(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NotFound(what + " " + path + " does not exist or cannot be read");
  std::ostringstream data;
  data << in.rdbuf();
  return data.str();
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    throw Error("SHA-256 failed");
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

// Runs `command`, throwing with its stderr when it fails.
SshExecResult run_checked(SshSession& ssh, const std::string& command, SshDeadline deadline,
                          const std::string& what) {
  auto result = ssh.run(command, {}, deadline);
  if (result.exit_status != 0) {
    const std::string err = trimmed(result.stderr_data);
    throw Error(what + ": " +
                (err.empty() ? "exit status " + std::to_string(result.exit_status) : err));
  }
  return result;
}

// Runs one step: reports it, and makes any failure name it, keeping the error's kind.
template <typename F>
void step(const std::string& name, const ProgressFn& progress, F&& body) {
  if (progress) progress(name);
  const std::string prefix = "provisioning failed at \"" + name + "\": ";
  try {
    body();
  } catch (const HostKeyChanged&) {
    throw;  // its message is complete and must reach the user unchanged
  } catch (const Timeout& e) {
    throw Timeout(prefix + e.what());
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(prefix + e.what());
  } catch (const NotFound& e) {
    throw NotFound(prefix + e.what());
  } catch (const Unavailable& e) {
    throw Unavailable(prefix + e.what());
  } catch (const std::exception& e) {
    throw Error(prefix + e.what());
  }
}

// What the machine has now, in one round trip and few processes (each costs tens of milliseconds
// under software emulation): `HASH  PATH` for the binaries in /etc/berth/bin and the configuration
// files that exist, `HASH  image:NAME` for the image's own binaries from the SHA256SUMS the image
// carries (images/vm/build-vm-image; hashing 5 MB in the guest would take a second), else
// `HASH  PATH` of those on PATH (an existing host), and "engine running" or "engine stopped".
// Comparing first is what makes provisioning a freshly created machine cheap: its image and its
// first-boot seed already hold this build's binaries and this machine's configuration, so nothing
// is copied and the engine is not restarted.
std::string remote_state_command() {
  std::string paths;
  for (const char* binary : kEngineBinaries)
    paths += std::string(" ") + kRemoteBinDir + "/" + binary;
  for (const auto& path : engine_config_paths()) paths += " " + path;
  return "sha256sum" + paths +
         " 2>/dev/null;"
         " if [ -f /usr/lib/berth/SHA256SUMS ]; then sed 's/  /  image:/' "
         "/usr/lib/berth/SHA256SUMS;"
         " else sha256sum $(command -v berthd berth-shim berth-agent 2>/dev/null) 2>/dev/null; fi;"
         " if pidof berthd >/dev/null; then echo 'engine running'; else echo 'engine stopped'; fi";
}

}  // namespace

std::map<std::string, std::string> parse_remote_state(const std::string& text) {
  std::map<std::string, std::string> state{{"engine", "stopped"}};
  std::map<std::string, std::string> installed, image, on_path;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line == "engine running" || line == "engine stopped") {
      state["engine"] = line.substr(7);
      continue;
    }
    const auto gap = line.find("  ");
    if (gap == std::string::npos) continue;
    const std::string hash = line.substr(0, gap), where = line.substr(gap + 2);
    if (where.rfind("image:", 0) == 0) {
      image[where.substr(6)] = hash;
    } else if (where.rfind(std::string(kRemoteBinDir) + "/", 0) == 0) {
      installed[std::filesystem::path(where).filename().string()] = hash;
    } else if (where.rfind(std::string(kRemoteConfigDir) + "/", 0) == 0) {
      state[where] = hash;
    } else {
      on_path[std::filesystem::path(where).filename().string()] = hash;
    }
  }
  // The binary the agent runs: /etc/berth/bin's wins over the image's (berth-agent-launch).
  for (const char* binary : kEngineBinaries) {
    auto pick = [&](const std::map<std::string, std::string>& from) -> const std::string* {
      auto it = from.find(binary);
      return it == from.end() ? nullptr : &it->second;
    };
    const std::string* hash = pick(installed);
    if (!hash) hash = pick(image);
    if (!hash) hash = pick(on_path);
    state[binary] = hash ? *hash : "-";
  }
  for (const auto& path : engine_config_paths()) state.try_emplace(path, "-");
  return state;
}

namespace {

// Restarting the engine. berth-agent supervises berthd and starts it again, from /etc/berth/bin and
// with /etc/berth/daemon.json, as soon as it exits: stopping berthd is how the engine restarts over
// SSH (the agent's berth-restart-engine command is reachable only over virtio-serial). A new agent
// binary needs the agent itself restarted: busybox init respawns it and it starts berthd. Waiting
// for the old berthd to be gone keeps the TLS check from reaching the engine being replaced.
std::string restart_command(bool restart_agent) {
  return std::string("agent=$(pidof berth-agent); old=$(pidof berthd);") +
         " [ -n \"$agent\" ] || { echo 'berth-agent is not running on this host, so nothing would"
         " start berthd again' >&2; exit 3; };" +
         (restart_agent ? " kill -TERM $agent;" : " [ -z \"$old\" ] || kill -TERM $old;") +
         " i=0; for p in $old; do while kill -0 $p 2>/dev/null; do i=$((i+1));"
         " [ $i -le 300 ] || { echo \"berthd (pid $p) did not exit within 30 s\" >&2; exit 4; };"
         " sleep 0.1; done; done";
}

}  // namespace

SshProvisioner::SshProvisioner(SshSessionFactory sessions, EngineProbe probe)
    : sessions_(std::move(sessions)), probe_(std::move(probe)) {}

std::unique_ptr<SshSession> SshProvisioner::wait_for_ssh(const ProvisionRequest& request,
                                                         SshDeadline deadline,
                                                         std::string& host_key) {
  std::string last_error;
  for (;;) {
    auto session = sessions_();
    // One attempt never takes the whole budget: a half-booted sshd can swallow a handshake.
    const auto attempt = std::min(deadline, SshClock::now() + std::chrono::seconds(10));
    try {
      host_key = session->connect(request.ssh, attempt);
      return session;
    } catch (const HostKeyChanged&) {
      throw;
    } catch (const InvalidArgument&) {
      throw;  // a bad key file does not get better by waiting
    } catch (const Error& e) {
      last_error = e.what();
    }
    if (SshClock::now() + retry_interval >= deadline) {
      throw Timeout("SSH on " + request.ssh.host + ":" + std::to_string(request.ssh.port) +
                    " did not accept berth's key within " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::seconds>(request.timeout).count()) +
                    " s; last error: " + last_error);
    }
    std::this_thread::sleep_for(retry_interval);
  }
}

ProvisionResult SshProvisioner::provision(const ProvisionRequest& request,
                                          const ProgressFn& progress) {
  const SshDeadline deadline = SshClock::now() + request.timeout;
  ProvisionResult result;
  std::unique_ptr<SshSession> ssh;

  step("Waiting for SSH", progress,
       [&] { ssh = wait_for_ssh(request, deadline, result.ssh_host_key); });

  step("Detecting the operating system", progress, [&] {
    const auto out = run_checked(*ssh, "uname -s; cat /etc/os-release 2>/dev/null || true",
                                 deadline, "reading uname and /etc/os-release");
    const std::string text = out.stdout_data;
    const std::string kernel = trimmed(text.substr(0, text.find('\n')));
    if (kernel != "Linux") {
      throw Unavailable(request.ssh.host + " runs " +
                        (kernel.empty() ? "an unknown system" : kernel) +
                        ", but berth engines run on Linux only");
    }
    result.os_name = os_pretty_name(text);
    if (result.os_name.empty()) result.os_name = "Linux";
  });

  std::map<std::string, std::string> remote;
  bool changed = false;
  bool agent_replaced = false;
  step("Copying engine binaries", progress, [&] {
    const auto out =
        run_checked(*ssh, remote_state_command(), deadline, "reading the machine's engine files");
    remote = parse_remote_state(out.stdout_data);
    if (remote["engine"] != "running") changed = true;
    std::map<std::string, std::string> local;
    for (const char* binary : kEngineBinaries) {
      local[binary] = read_local((std::filesystem::path(request.bin_dir) / binary).string(),
                                 "the engine binary");
    }
    auto differs = [&](const std::string& n) { return remote[n] != sha256_hex(local[n]); };
    // berthd finds berth-shim next to itself, so the two always travel together.
    std::vector<std::string> uploads;
    if (differs("berthd") || differs("berth-shim")) uploads = {"berthd", "berth-shim"};
    if (differs("berth-agent")) {
      uploads.push_back("berth-agent");
      agent_replaced = true;
    }
    if (uploads.empty()) return;
    changed = true;
    run_checked(*ssh, std::string("mkdir -p ") + kRemoteBinDir, deadline,
                std::string("creating ") + kRemoteBinDir);
    for (const auto& n : uploads) {
      ssh->upload(local[n], std::string(kRemoteBinDir) + "/" + n, 0755, deadline);
    }
  });

  // Certificates first: daemon.json names them.
  auto upload_changed = [&](const std::vector<EngineConfigFile>& files) {
    for (const auto& file : files) {
      if (remote[file.path] == sha256_hex(file.contents)) continue;
      ssh->upload(file.contents, file.path, file.mode, deadline);
      changed = true;
    }
  };
  step("Copying certificates", progress, [&] {
    const auto files = certificate_files(request.machine_dir);
    const bool any_differs = std::any_of(files.begin(), files.end(), [&](const auto& file) {
      return remote[file.path] != sha256_hex(file.contents);
    });
    if (!any_differs) return;
    run_checked(*ssh, std::string("mkdir -p ") + kRemoteCertDir, deadline,
                std::string("creating ") + kRemoteCertDir);
    upload_changed(files);
  });
  step("Writing the engine configuration", progress,
       [&] { upload_changed(engine_settings_files(request.engine)); });

  if (changed) {
    step("Restarting the engine", progress, [&] {
      run_checked(*ssh, restart_command(agent_replaced), deadline, "restarting berthd");
    });
  }

  step("Checking the engine over TLS", progress,
       [&] { result.engine_version = probe_(request.engine_url, request.machine_dir, deadline); });
  return result;
}

}  // namespace berth::machine
