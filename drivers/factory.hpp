#pragma once
// Rebuilds a machine's driver from what the manager stored in config.json: the driver's name and
// its to_json() state.
#include <memory>
#include <string_view>

#include "drivers/driver.hpp"

namespace berth::drivers {

// Throws InvalidArgument for an unknown driver name or a malformed state.
std::unique_ptr<Driver> load_driver(std::string_view driver_name, const Json& state);

}  // namespace berth::drivers
