#include "drivers/none/none_driver.hpp"

#include "common/error.hpp"

namespace berth::drivers {

namespace {

// The host part of tcp://HOST:PORT or tcp://[V6]:PORT.
std::string url_host(const std::string& url) {
  const std::string scheme = "tcp://";
  auto bad = [&](const std::string& why) {
    return InvalidArgument("invalid engine URL \"" + url + "\": " + why +
                           " — give it as tcp://HOST:PORT, e.g. tcp://192.168.1.10:2376");
  };
  if (url.rfind(scheme, 0) != 0) throw bad("it does not start with tcp://");
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string host;
  std::string port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      throw bad("the IPv6 address must be in brackets followed by :PORT");
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string::npos) throw bad("it has no port");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) throw bad("it has no host");
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535) {
    throw bad("the port is not a number from 1 to 65535");
  }
  return host;
}

}  // namespace

NoneDriver::NoneDriver(std::string machine_name, std::string engine_url)
    : name_(std::move(machine_name)), url_(std::move(engine_url)), host_(url_host(url_)) {}

NoneDriver NoneDriver::from_json(const Json& state) {
  return NoneDriver(get_string(state, "name"), get_string(state, "engine_url"));
}

void NoneDriver::pre_create_check() {
  validate_machine_name(name_);
}

void NoneDriver::unsupported(const std::string& what) const {
  throw Unavailable("machine " + name_ + " uses the none driver (an existing engine at " + url_ +
                    "): berth cannot " + what + " it — do that where the engine runs");
}

void NoneDriver::start() {
  unsupported("start");
}
void NoneDriver::stop() {
  unsupported("stop");
}
void NoneDriver::restart() {
  unsupported("restart");
}
void NoneDriver::kill() {
  unsupported("kill");
}
std::string NoneDriver::ssh_address() {
  unsupported("open SSH to");
}
int NoneDriver::ssh_port() {
  unsupported("open SSH to");
}

Json NoneDriver::to_json() const {
  return Json{{"name", name_}, {"engine_url", url_}};
}

}  // namespace berth::drivers
