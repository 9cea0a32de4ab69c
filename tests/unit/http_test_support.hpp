#pragma once
// Shared set-up for the HTTP tests: a temporary directory, a server on a unix socket or TCP port,
// and a raw connection for sending bytes no well-behaved client would send.
#include <filesystem>
#include <memory>
#include <string>

#include "common/endpoint.hpp"
#include "common/http_client.hpp"
#include "common/http_server.hpp"

namespace berth::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Sends raw bytes and reads whatever comes back until the server closes or `timeout` passes.
class RawConnection {
 public:
  explicit RawConnection(const Endpoint& endpoint);
  void send(std::string_view bytes);
  void shutdown_write();
  // Everything the server sends until it closes the connection; throws Timeout if it never does.
  std::string read_until_close(Clock::duration timeout = std::chrono::seconds(5));
  // Reads until `needle` appears (or close); returns what was read.
  std::string read_until(std::string_view needle,
                         Clock::duration timeout = std::chrono::seconds(5));

 private:
  std::unique_ptr<Stream> stream_;
};

}  // namespace berth::test
