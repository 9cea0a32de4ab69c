#pragma once
#include "common/stream.hpp"

namespace berth::engine {

// Copies a process's output (from its shim) to a hijacked client while the client's input goes to
// the process; returns when the output ends (the process exited and drained) or the client is gone.
// Used by attach and exec alike.
void pump_streams(Stream& client, Stream& process, bool forward_stdin);

}  // namespace berth::engine
