#pragma once
// What `ls` shows as ENGINE: the engine's own /version over mutual TLS, so a machine whose
// engine is down or whose certificates broke shows it at once.
#include <chrono>
#include <string>

namespace berth::cli {

// "v0.1.0". Throws berth::Error (Timeout, TLS or HTTP failures) naming what went wrong.
std::string query_engine_version(const std::string& url, const std::string& cert_dir,
                                 std::chrono::milliseconds timeout);

}  // namespace berth::cli
