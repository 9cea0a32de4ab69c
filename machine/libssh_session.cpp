// libssh behind SshSession. libssh is used in blocking mode; every blocking call is bounded by the
// session timeout, which arm() sets to the time left before the caller's deadline just before the
// call, so no call outlives its deadline by more than libssh's own poll granularity.
#include "machine/libssh_session.hpp"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <poll.h>

#include <algorithm>

namespace berth::machine {

namespace {

struct SessionFree {
  void operator()(ssh_session s) const {
    ssh_disconnect(s);
    ssh_free(s);
  }
};
struct KeyFree {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
struct ChannelFree {
  void operator()(ssh_channel c) const {
    ssh_channel_close(c);
    ssh_channel_free(c);
  }
};
struct SftpFree {
  void operator()(sftp_session s) const { sftp_free(s); }
};
struct SftpFileFree {
  void operator()(sftp_file f) const { sftp_close(f); }
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionFree>;
using KeyPtr = std::unique_ptr<ssh_key_struct, KeyFree>;
using ChannelPtr = std::unique_ptr<ssh_channel_struct, ChannelFree>;
using SftpPtr = std::unique_ptr<sftp_session_struct, SftpFree>;
using SftpFilePtr = std::unique_ptr<sftp_file_struct, SftpFileFree>;

constexpr size_t kChunk = 32 * 1024;

class LibsshSession : public SshSession {
 public:
  explicit LibsshSession(LibsshOptions options) : options_(options) {}

  std::string connect(const SshTarget& target, SshDeadline deadline) override {
    where_ = target.user + "@" + target.host + ":" + std::to_string(target.port);
    SessionPtr session(ssh_new());
    if (!session) throw SshError("cannot allocate an SSH session");
    int port = target.port;
    int no = 0;
    ssh_options_set(session.get(), SSH_OPTIONS_HOST, target.host.c_str());
    ssh_options_set(session.get(), SSH_OPTIONS_PORT, &port);
    ssh_options_set(session.get(), SSH_OPTIONS_USER, target.user.c_str());
    // The user's ~/.ssh/config and known_hosts must not change what berth connects to: the host
    // key is checked against the machine's own record instead.
    ssh_options_set(session.get(), SSH_OPTIONS_PROCESS_CONFIG, &no);
    session_ = std::move(session);
    arm(deadline, "connecting to " + where_);
    if (ssh_connect(session_.get()) != SSH_OK) fail("cannot connect to " + where_);

    ssh_key raw_key = nullptr;
    if (ssh_get_server_publickey(session_.get(), &raw_key) != SSH_OK) {
      fail("no host key from " + where_);
    }
    KeyPtr server_key(raw_key);
    char* b64 = nullptr;
    if (ssh_pki_export_pubkey_base64(server_key.get(), &b64) != SSH_OK) {
      fail("cannot read the host key of " + where_);
    }
    const std::string host_key =
        std::string(ssh_key_type_to_char(ssh_key_type(server_key.get()))) + " " + b64;
    ssh_string_free_char(b64);
    check_host_key(target, host_key);  // before authenticating: never log in to an impostor

    ssh_key raw_private = nullptr;
    if (ssh_pki_import_privkey_file(target.private_key_path.c_str(), nullptr, nullptr, nullptr,
                                    &raw_private) != SSH_OK) {
      throw InvalidArgument("cannot read the SSH private key " + target.private_key_path +
                            " (an unencrypted OpenSSH key is expected)");
    }
    KeyPtr private_key(raw_private);
    arm(deadline, "authenticating to " + where_);
    const int auth = ssh_userauth_publickey(session_.get(), nullptr, private_key.get());
    if (auth != SSH_AUTH_SUCCESS) {
      if (auth == SSH_AUTH_ERROR) fail("authentication to " + where_ + " failed");
      throw SshError(where_ + " refused the key " + target.private_key_path +
                     " (is its public key in ~" + target.user + "/.ssh/authorized_keys?)");
    }
    return host_key;
  }

  SshExecResult run(const std::string& command, std::string_view stdin_data,
                    SshDeadline deadline) override {
    const std::string what = "running `" + command + "` on " + where_;
    NonBlocking nonblocking(session_.get());
    ChannelPtr channel(ssh_channel_new(session_.get()));
    if (!channel) fail(what);
    // Non-blocking, these two answer SSH_AGAIN until the server has replied.
    for (;;) {
      const int rc = ssh_channel_open_session(channel.get());
      if (rc == SSH_OK) break;
      if (rc != SSH_AGAIN) fail(what);
      wait_socket(deadline, what);
    }
    for (;;) {
      const int rc = ssh_channel_request_exec(channel.get(), command.c_str());
      if (rc == SSH_OK) break;
      if (rc != SSH_AGAIN) fail(what);
      wait_socket(deadline, what);
    }

    SshExecResult result;
    write_all(channel.get(), stdin_data, deadline, what, result);
    if (ssh_channel_send_eof(channel.get()) == SSH_ERROR) fail(what);
    for (;;) {
      if (!drain(channel.get(), result, what) &&
          (ssh_channel_is_eof(channel.get()) || ssh_channel_is_closed(channel.get()))) {
        break;
      }
      wait_socket(deadline, what);
    }
    // The exit status may trail the output's EOF; in non-blocking mode this call only looks at
    // packets already here, so wait for them on the socket.
    for (;;) {
      result.exit_status = ssh_channel_get_exit_status(channel.get());
      if (result.exit_status != -1 || ssh_channel_is_closed(channel.get())) break;
      wait_socket(deadline, what);
    }
    return result;
  }

  void upload(std::string_view bytes, const std::string& remote_path, int mode,
              SshDeadline deadline) override {
    if (sftp_usable(deadline)) {
      sftp_upload(bytes, remote_path, mode, deadline);
      return;
    }
    const auto result = run(upload_command(remote_path, mode), bytes, deadline);
    if (result.exit_status != 0) {
      throw Error("cannot write " + remote_path + " on " + where_ + ": " +
                  describe_failure(result));
    }
  }

  std::string download(const std::string& remote_path, SshDeadline deadline) override {
    if (sftp_usable(deadline)) return sftp_download(remote_path, deadline);
    const auto result = run("cat " + shell_quote(remote_path), {}, deadline);
    if (result.exit_status != 0) {
      throw Error("cannot read " + remote_path + " on " + where_ + ": " + describe_failure(result));
    }
    return result.stdout_data;
  }

 private:
  static std::string describe_failure(const SshExecResult& r) {
    std::string err = r.stderr_data;
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    return err.empty() ? "exit status " + std::to_string(r.exit_status) : err;
  }

  std::chrono::milliseconds remaining(SshDeadline deadline, const std::string& what) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SshClock::now());
    if (left.count() <= 0) throw Timeout("timed out " + what);
    return left;
  }

  void arm(SshDeadline deadline, const std::string& what) {
    if (!session_) throw SshError("not connected (" + what + ")");
    long usec = static_cast<long>(std::max<long long>(remaining(deadline, what).count(), 1) * 1000);
    ssh_options_set(session_.get(), SSH_OPTIONS_TIMEOUT_USEC, &usec);
    deadline_ = deadline;
  }

  // libssh reports a timeout as an ordinary error; tell the two apart by the clock.
  [[noreturn]] void fail(const std::string& what) const {
    const std::string detail = session_ ? ssh_get_error(session_.get()) : "";
    if (SshClock::now() >= deadline_) throw Timeout("timed out " + what);
    throw SshError(what + (detail.empty() ? "" : ": " + detail));
  }

  // libssh's blocking channel calls wait without any timeout (SSH_TIMEOUT_DEFAULT is infinite in
  // blocking mode, whatever SSH_OPTIONS_TIMEOUT says), so exec channels run non-blocking and wait
  // on the socket with poll() against the deadline.
  struct NonBlocking {
    explicit NonBlocking(ssh_session s) : session(s) { ssh_set_blocking(session, 0); }
    ~NonBlocking() { ssh_set_blocking(session, 1); }
    ssh_session session;
  };

  void wait_socket(SshDeadline deadline, const std::string& what) {
    const auto left = remaining(deadline, what);
    pollfd p{ssh_get_fd(session_.get()), POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 50)));
  }

  // Takes whatever output has arrived; true if there was some.
  bool drain(ssh_channel channel, SshExecResult& result, const std::string& what) {
    char buffer[kChunk];
    bool got = false;
    for (int is_stderr : {0, 1}) {
      for (;;) {
        const int n = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, is_stderr);
        if (n == SSH_ERROR) fail(what);
        if (n <= 0) break;
        (is_stderr ? result.stderr_data : result.stdout_data)
            .append(buffer, static_cast<size_t>(n));
        got = true;
      }
    }
    return got;
  }

  void write_all(ssh_channel channel, std::string_view data, SshDeadline deadline,
                 const std::string& what, SshExecResult& result) {
    while (!data.empty()) {
      remaining(deadline, what);
      const size_t n = std::min(data.size(), kChunk);
      const int written = ssh_channel_write(channel, data.data(), static_cast<uint32_t>(n));
      if (written == SSH_ERROR) fail(what);
      if (ssh_channel_is_closed(channel)) {
        throw SshError(what + ": the command ended before reading all its input" +
                       (result.stderr_data.empty() ? "" : " (" + result.stderr_data + ")"));
      }
      if (written > 0) {
        data.remove_prefix(static_cast<size_t>(written));
      } else {
        // The window is full: the server's window adjustments arrive on the socket.
        drain(channel, result, what);
        wait_socket(deadline, what);
      }
    }
    const auto left = remaining(deadline, what);
    if (ssh_blocking_flush(session_.get(), static_cast<int>(left.count())) != SSH_OK) fail(what);
  }

  // Opens the SFTP subsystem once; a server without one (dropbear with no sftp-server) is
  // remembered so later transfers go straight to exec.
  bool sftp_usable(SshDeadline deadline) {
    if (!options_.use_sftp || sftp_missing_) return false;
    if (sftp_) return true;
    arm(deadline, "starting SFTP on " + where_);
    SftpPtr sftp(sftp_new(session_.get()));
    if (!sftp || sftp_init(sftp.get()) != SSH_OK) {
      if (SshClock::now() >= deadline) throw Timeout("timed out starting SFTP on " + where_);
      sftp_missing_ = true;
      return false;
    }
    sftp_ = std::move(sftp);
    return true;
  }

  void sftp_upload(std::string_view bytes, const std::string& remote_path, int mode,
                   SshDeadline deadline) {
    const std::string what = "writing " + remote_path + " on " + where_ + " over SFTP";
    const std::string tmp = remote_path + ".berth-upload";
    arm(deadline, what);
    {
      SftpFilePtr file(sftp_open(sftp_.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
      if (!file) sftp_fail(what);
      while (!bytes.empty()) {
        arm(deadline, what);
        const size_t n = std::min(bytes.size(), kChunk);
        const ssize_t written = sftp_write(file.get(), bytes.data(), n);
        if (written < 0) sftp_fail(what);
        bytes.remove_prefix(static_cast<size_t>(written));
      }
    }
    arm(deadline, what);
    if (sftp_chmod(sftp_.get(), tmp.c_str(), static_cast<mode_t>(mode)) < 0) sftp_fail(what);
    // SFTP v3 rename refuses an existing target; mv over exec replaces it atomically.
    const auto result =
        run("mv -f " + shell_quote(tmp) + " " + shell_quote(remote_path), {}, deadline);
    if (result.exit_status != 0) throw Error(what + ": " + describe_failure(result));
  }

  std::string sftp_download(const std::string& remote_path, SshDeadline deadline) {
    const std::string what = "reading " + remote_path + " on " + where_ + " over SFTP";
    arm(deadline, what);
    SftpFilePtr file(sftp_open(sftp_.get(), remote_path.c_str(), O_RDONLY, 0));
    if (!file) sftp_fail(what);
    std::string data;
    char buffer[kChunk];
    for (;;) {
      arm(deadline, what);
      const ssize_t n = sftp_read(file.get(), buffer, sizeof buffer);
      if (n < 0) sftp_fail(what);
      if (n == 0) break;
      data.append(buffer, static_cast<size_t>(n));
    }
    return data;
  }

  [[noreturn]] void sftp_fail(const std::string& what) const {
    const int code = sftp_get_error(sftp_.get());
    if (code == SSH_FX_NO_SUCH_FILE) throw NotFound(what + ": no such file or directory");
    if (code == SSH_FX_PERMISSION_DENIED) throw Error(what + ": permission denied");
    fail(what);
  }

  LibsshOptions options_;
  SessionPtr session_;
  SftpPtr sftp_;
  bool sftp_missing_ = false;
  std::string where_;
  SshDeadline deadline_ = SshDeadline::max();
};

}  // namespace

std::unique_ptr<SshSession> make_libssh_session(LibsshOptions options) {
  return std::make_unique<LibsshSession>(options);
}

}  // namespace berth::machine
