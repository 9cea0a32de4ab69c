#include "drivers/factory.hpp"

#include "common/error.hpp"
#include "drivers/generic/generic_driver.hpp"
#include "drivers/libvirt/libvirt_driver.hpp"
#include "drivers/none/none_driver.hpp"

namespace berth::drivers {

std::unique_ptr<Driver> load_driver(std::string_view driver_name, const Json& state) {
  if (driver_name == "libvirt") return libvirt::LibvirtDriver::from_json(state);
  if (driver_name == "generic") {
    return std::make_unique<GenericDriver>(GenericDriver::from_json(state));
  }
  if (driver_name == "none") return std::make_unique<NoneDriver>(NoneDriver::from_json(state));
  throw InvalidArgument("unknown machine driver \"" + std::string(driver_name) +
                        "\": this berth knows libvirt, generic and none");
}

}  // namespace berth::drivers
