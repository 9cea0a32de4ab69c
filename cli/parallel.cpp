#include "cli/parallel.hpp"

#include <exception>
#include <thread>

namespace berth::cli {

std::vector<MachineOutcome> run_for_each_machine(
    const std::vector<std::string>& names,
    const std::function<std::string(const std::string& name)>& action) {
  std::vector<MachineOutcome> outcomes(names.size());
  std::vector<std::jthread> workers;
  workers.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    workers.emplace_back([&, i] {
      outcomes[i].name = names[i];
      try {
        outcomes[i].message = action(names[i]);
        outcomes[i].ok = true;
      } catch (const std::exception& e) {
        outcomes[i].message = e.what();
      }
    });
  }
  workers.clear();  // joins
  return outcomes;
}

}  // namespace berth::cli
