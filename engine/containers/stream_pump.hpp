#pragma once
#include "common/stream.hpp"

namespace berth::engine {

// Copies a process's output (from its shim) to a hijacked client while the client's input goes to
// the process; returns when the output ends (the process exited and drained) or the client is gone.
// Used by attach and exec alike.
void pump_streams(Stream& client, Stream& process, bool forward_stdin);

// Ends every pump running now, and any started later, as if each process's output had ended: for
// berthd's shutdown, which must not wait on a session whose client vanished silently (its
// connection is still open, and a quiet process writes nothing that would notice). The processes
// keep running.
void interrupt_stream_pumps();
bool stream_pumps_interrupted();

}  // namespace berth::engine
