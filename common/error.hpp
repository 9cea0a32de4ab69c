#pragma once
// One small error hierarchy for all of berth. Synchronous code throws these with context; callers
// that face a user (the API layer, the CLI) map the kind to an HTTP status or an exit code.
#include <cerrno>
#include <stdexcept>
#include <string>

namespace berth {

// Base of every berth error. The message is complete and names what was wrong.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller asked for something malformed or contradictory (HTTP 400).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// The named object does not exist (HTTP 404).
class NotFound : public Error {
 public:
  using Error::Error;
};

// The request conflicts with the current state: a name in use, a running container (HTTP 409).
class Conflict : public Error {
 public:
  using Error::Error;
};

// A request body or upload exceeds the limit the receiver accepts (HTTP 413).
class TooLarge : public Error {
 public:
  using Error::Error;
};

// The operation is valid but not available here (HTTP 503).
class Unavailable : public Error {
 public:
  using Error::Error;
};

// The operation exists but this configuration cannot do it (HTTP 501), e.g. reading the logs of a
// container whose logging driver keeps none.
class NotImplemented : public Error {
 public:
  using Error::Error;
};

// An I/O deadline passed.
class Timeout : public Error {
 public:
  using Error::Error;
};

// A system call failed; the message carries what was attempted and strerror(errno).
class SystemError : public Error {
 public:
  SystemError(const std::string& what, int err);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// Throws SystemError for `what` with the current errno.
[[noreturn]] void throw_errno(const std::string& what);
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace berth
