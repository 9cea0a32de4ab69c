#include "http_test_support.hpp"

#include <unistd.h>

#include <random>

#include "common/error.hpp"

namespace berth::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "berth-test-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw_errno("mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RawConnection::RawConnection(const Endpoint& endpoint)
    : stream_(make_socket_stream(connect_to(endpoint, std::chrono::seconds(5)))) {}

void RawConnection::send(std::string_view bytes) {
  stream_->write_all(bytes);
}

void RawConnection::shutdown_write() {
  stream_->shutdown_write();
}

std::string RawConnection::read_until_close(Clock::duration timeout) {
  stream_->set_deadline(Clock::now() + timeout);
  std::string out;
  char buf[4096];
  try {
    while (size_t n = stream_->read_some(buf, sizeof buf)) out.append(buf, n);
  } catch (const SystemError&) {
    // A reset is a close too.
  }
  return out;
}

std::string RawConnection::read_until(std::string_view needle, Clock::duration timeout) {
  stream_->set_deadline(Clock::now() + timeout);
  std::string out;
  char buf[4096];
  while (out.find(needle) == std::string::npos) {
    const size_t n = stream_->read_some(buf, sizeof buf);
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

}  // namespace berth::test
