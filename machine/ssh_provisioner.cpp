// The provisioning steps, in order. Each step is idempotent, so `berth machine provision` simply
// runs them all again.
#include "machine/ssh_provisioner.hpp"

#include <openssl/evp.h>

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

// The hashes of the binaries the machine runs now: /etc/berth/bin wins over the image's, as the
// guest agent (and berth-agent-launch) choose. "-" when a binary is missing.
const char* kRemoteHashes =
    "for n in berthd berth-shim berth-agent; do f=/etc/berth/bin/$n;"
    " [ -x \"$f\" ] || f=$(command -v $n 2>/dev/null);"
    " if [ -n \"$f\" ] && [ -x \"$f\" ]; then echo \"$n $(sha256sum < \"$f\" | cut -d' ' -f1)\";"
    " else echo \"$n -\"; fi; done";

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
  const std::filesystem::path machine_dir = request.machine_dir;
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

  bool agent_replaced = false;
  step("Copying engine binaries", progress, [&] {
    const auto out = run_checked(*ssh, kRemoteHashes, deadline, "hashing the machine's binaries");
    std::map<std::string, std::string> remote;
    std::istringstream lines(out.stdout_data);
    std::string name, hash;
    while (lines >> name >> hash) remote[name] = hash;
    std::map<std::string, std::string> local;
    for (const char* binary : {"berthd", "berth-shim", "berth-agent"}) {
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
    run_checked(*ssh, std::string("mkdir -p ") + kRemoteBinDir, deadline,
                std::string("creating ") + kRemoteBinDir);
    for (const auto& n : uploads) {
      ssh->upload(local[n], std::string(kRemoteBinDir) + "/" + n, 0755, deadline);
    }
  });

  step("Copying certificates", progress, [&] {
    run_checked(*ssh, std::string("mkdir -p ") + kRemoteCertDir, deadline,
                std::string("creating ") + kRemoteCertDir);
    const std::pair<const char*, int> files[] = {
        {"ca.pem", 0644}, {"server.pem", 0644}, {"server-key.pem", 0600}};
    for (const auto& [file, mode] : files) {
      ssh->upload(read_local((machine_dir / file).string(), "the certificate file"),
                  std::string(kRemoteCertDir) + "/" + file, mode, deadline);
    }
  });

  step("Writing the engine configuration", progress, [&] {
    ssh->upload(render_daemon_json(request.engine), kRemoteDaemonJson, 0600, deadline);
    ssh->upload(render_engine_env(request.engine), kRemoteEngineEnv, 0600, deadline);
  });

  step("Restarting the engine", progress,
       [&] { run_checked(*ssh, restart_command(agent_replaced), deadline, "restarting berthd"); });

  step("Checking the engine over TLS", progress,
       [&] { result.engine_version = probe_(request.engine_url, request.machine_dir, deadline); });
  return result;
}

}  // namespace berth::machine
