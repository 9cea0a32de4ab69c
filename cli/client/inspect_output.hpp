#pragma once
// What every `… inspect` prints: the engine's objects as one indented JSON array in the engine's
// field order, or --format applied to each object; "json" prints each object on one line.
#include <ostream>
#include <string>
#include <vector>

namespace berth::cli::client {

void print_inspected(std::ostream& out, const std::vector<std::string>& bodies,
                     const std::string& format);

}  // namespace berth::cli::client
