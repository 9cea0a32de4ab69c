#include "common/error.hpp"

#include <cstring>

namespace berth {

SystemError::SystemError(const std::string& what, int err)
    : Error(what + ": " + std::strerror(err)), code_(err) {}

void throw_errno(const std::string& what) {
  throw SystemError(what, errno);
}
void throw_errno(const std::string& what, int err) {
  throw SystemError(what, err);
}

}  // namespace berth
