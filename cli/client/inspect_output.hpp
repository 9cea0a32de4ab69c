#pragma once
// What every `… inspect` prints: the engine's objects as one indented JSON array in the engine's
// field order, or --format applied to each object; "json" prints each object on one line.
#include <ostream>
#include <string>
#include <vector>

namespace berth::cli::client {

void print_inspected(std::ostream& out, const std::vector<std::string>& bodies,
                     const std::string& format);

struct ClientEnv;

// `network inspect`, `volume inspect`: GET `collection` + each name ("/networks/"), prints what was
// found, then the engine's message for each one that was not; returns the exit code.
int inspect_named(ClientEnv& env, const std::string& collection,
                  const std::vector<std::string>& names, const std::string& format);

}  // namespace berth::cli::client
