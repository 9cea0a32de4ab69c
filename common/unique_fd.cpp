#include "common/unique_fd.hpp"

#include "common/error.hpp"

namespace berth {

std::pair<UniqueFd, UniqueFd> make_pipe(int flags) {
  int fds[2];
  if (::pipe2(fds, flags) != 0) throw_errno("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace berth
