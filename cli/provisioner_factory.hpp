#pragma once
// The provisioner the real CLI uses. One small file so that wiring the SSH provisioner in is a
// one-line change.
#include <memory>

#include "machine/provisioner.hpp"

namespace berth::cli {

std::unique_ptr<machine::Provisioner> make_default_provisioner();

}  // namespace berth::cli
