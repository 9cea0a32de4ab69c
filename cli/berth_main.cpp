// berth: everything lives in berth_cli (cli_context.hpp) so tests drive the same code.
#include <string>
#include <vector>

#include "cli/cli_context.hpp"

int main(int argc, char** argv) {
  auto context = berth::cli::default_context();
  return berth::cli::run_berth(std::vector<std::string>(argv + 1, argv + argc), context);
}
