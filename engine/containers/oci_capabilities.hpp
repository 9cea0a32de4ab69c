#pragma once
// Linux capabilities the way dockerd grants them: its default set, adjusted by --cap-add and
// --cap-drop ("ALL" allowed in either), or every capability the kernel knows for --privileged.
#include <string>
#include <vector>

namespace berth::engine {

// Docker's default set, in dockerd's order.
const std::vector<std::string>& default_capabilities();
// Every capability the running kernel supports (/proc/sys/kernel/cap_last_cap).
std::vector<std::string> all_capabilities();
// dockerd's TweakCapabilities. Names may be "net_admin", "NET_ADMIN" or "CAP_NET_ADMIN"; unknown
// ones throw InvalidArgument ("unknown capability: \"CAP_FOO\"").
std::vector<std::string> tweak_capabilities(const std::vector<std::string>& add,
                                            const std::vector<std::string>& drop, bool privileged);

}  // namespace berth::engine
