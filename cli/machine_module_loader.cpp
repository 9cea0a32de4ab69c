// The executable's side of cli/machine_module.hpp: finds and loads libberth-machine.so.
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "cli/machine_module.hpp"
#include "common/error.hpp"

namespace berth::cli {

namespace {

std::string module_path() {
  if (const char* path = std::getenv("BERTH_MACHINE_MODULE")) return path;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto dir = ec ? std::filesystem::path(".") : exe.parent_path();
  return (dir / ".." / "lib" / "libberth-machine.so").lexically_normal().string();
}

}  // namespace

const MachineModule& load_machine_module() {
  static std::once_flag once;
  static const MachineModule* module = nullptr;
  static std::string failure;
  std::call_once(once, [] {
    const std::string path = module_path();
    // RTLD_LOCAL: the module's copies of berth's code stay its own.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      failure = "berth's machine support cannot be loaded from " + path + ": " +
                (why ? why : "unknown error") +
                " (build it with scripts/build, or set BERTH_MACHINE_MODULE to its path)";
      return;
    }
    using Entry = const MachineModule* (*)();
    auto entry = reinterpret_cast<Entry>(::dlsym(handle, "berth_machine_module_v1"));
    if (entry == nullptr) {
      failure = path + " is not this berth's machine module (no berth_machine_module_v1)";
      return;
    }
    module = entry();
  });
  if (module == nullptr) throw Error(failure);
  return *module;
}

const MachineModule& machine_support(CliContext& context) {
  const MachineModule& module =
      context.machine_module ? context.machine_module() : load_machine_module();
  module.fill_context(context);
  return module;
}

}  // namespace berth::cli
