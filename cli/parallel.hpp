#pragma once
// Commands that take several machine names (stop a b c) act on all of them at once: each machine is
// a different VM, so there is no reason to wait for one before starting the next.
#include <functional>
#include <string>
#include <vector>

namespace berth::cli {

struct MachineOutcome {
  std::string name;
  bool ok = false;
  std::string message;  // what happened, or the error
};

// Runs `action(name)` for every name on its own thread and returns the outcomes in the order of
// `names`. An exception becomes a failed outcome carrying its message.
std::vector<MachineOutcome> run_for_each_machine(
    const std::vector<std::string>& names,
    const std::function<std::string(const std::string& name)>& action);

}  // namespace berth::cli
