// The one symbol libberth-machine.so exports for load_machine_module() (cli/machine_module.hpp).
// Versioned by name: a berth that expects another table shape finds no such symbol and says so.
#include "cli/machine_module.hpp"

extern "C" __attribute__((visibility("default"))) const berth::cli::MachineModule*
berth_machine_module_v1() {
  return &berth::cli::linked_machine_module();
}
