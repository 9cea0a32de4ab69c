#include "drivers/generic/generic_driver.hpp"

#include <poll.h>
#include <unistd.h>

#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/endpoint.hpp"
#include "common/error.hpp"

namespace berth::drivers {

namespace {

constexpr const char* kKeyCopy = "generic_ssh_key";

void check_port(int port, const std::string& flag) {
  if (port < 1 || port > 65535) {
    throw InvalidArgument(flag + " " + std::to_string(port) + " is not a port from 1 to 65535");
  }
}

}  // namespace

bool ssh_banner_answers(const std::string& host, int port, std::chrono::milliseconds timeout,
                        std::string& why) {
  const auto deadline = Clock::now() + timeout;
  try {
    Endpoint endpoint;
    endpoint.kind = Endpoint::Kind::tcp;
    endpoint.host = host;
    endpoint.port = static_cast<uint16_t>(port);
    UniqueFd fd = connect_to(endpoint, timeout);
    // A port that accepts but never greets (a firewall proxy, a wedged sshd) is not SSH answering.
    std::string banner;
    while (banner.size() < 4) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd.get(), POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        why = "no SSH greeting from " + host + ":" + std::to_string(port) + " within " +
              std::to_string(timeout.count()) + " ms";
        return false;
      }
      char buffer[64];
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n <= 0) {
        why = host + ":" + std::to_string(port) + " closed the connection without an SSH greeting";
        return false;
      }
      banner.append(buffer, static_cast<size_t>(n));
    }
    if (banner.rfind("SSH-", 0) != 0) {
      why = host + ":" + std::to_string(port) + " answers, but not with SSH";
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
}

GenericDriver::GenericDriver(GenericConfig config) : config_(std::move(config)) {}

GenericDriver GenericDriver::from_json(const Json& state) {
  GenericConfig c;
  c.name = get_string(state, "name");
  c.ip = get_string(state, "ip");
  c.ssh_user = get_string(state, "ssh_user", "root");
  c.ssh_key = get_string(state, "ssh_key");
  c.ssh_port = static_cast<int>(get_int64(state, "ssh_port", 22));
  c.engine_port = static_cast<int>(get_int64(state, "engine_port", kEnginePort));
  c.machine_dir = get_string(state, "machine_dir");
  if (c.ip.empty()) throw InvalidArgument("generic driver state has no \"ip\"");
  GenericDriver driver(std::move(c));
  driver.key_copy_ = get_string(state, "ssh_key_copy");
  return driver;
}

Json GenericDriver::to_json() const {
  return Json{{"name", config_.name},
              {"ip", config_.ip},
              {"ssh_user", config_.ssh_user},
              {"ssh_key", config_.ssh_key},
              {"ssh_port", config_.ssh_port},
              {"engine_port", config_.engine_port},
              {"machine_dir", config_.machine_dir},
              {"ssh_key_copy", key_copy_}};
}

void GenericDriver::pre_create_check() {
  validate_machine_name(config_.name);
  if (config_.ip.empty()) {
    throw InvalidArgument("the generic driver needs the host's address: --generic-ip-address");
  }
  check_port(config_.ssh_port, "--generic-ssh-port");
  check_port(config_.engine_port, "--generic-engine-port");
  if (config_.ssh_key.empty()) {
    throw InvalidArgument("the generic driver needs the private key that logs in to " + config_.ip +
                          ": --generic-ssh-key");
  }
  if (::access(config_.ssh_key.c_str(), R_OK) != 0) {
    throw InvalidArgument("cannot read the SSH key " + config_.ssh_key + " (--generic-ssh-key)");
  }
}

void GenericDriver::create() {
  if (!config_.machine_dir.empty()) {
    const std::string copy = (std::filesystem::path(config_.machine_dir) / kKeyCopy).string();
    write_file_atomic(copy, read_file(config_.ssh_key), 0600);
    key_copy_ = copy;
  }
  std::string why;
  if (!ssh_banner_answers(config_.ip, config_.ssh_port, probe_timeout, why)) {
    throw Unavailable("the host " + config_.ip + " is not reachable over SSH: " + why);
  }
}

std::string GenericDriver::ssh_key_path() const {
  return key_copy_.empty() ? config_.ssh_key : key_copy_;
}

std::string GenericDriver::address() const {
  return config_.ip + ":" + std::to_string(config_.ssh_port);
}

void GenericDriver::unsupported(const std::string& what) const {
  throw Unavailable("machine " + config_.name + " uses the generic driver (an existing host at " +
                    config_.ip + "): berth cannot " + what +
                    " it — do that on the host itself, or with `berth machine ssh " + config_.name +
                    "`");
}

void GenericDriver::start() {
  std::string why;
  if (ssh_banner_answers(config_.ip, config_.ssh_port, probe_timeout, why)) return;
  throw Unavailable("machine " + config_.name + " uses the generic driver and its host " +
                    address() + " does not answer over SSH (" + why +
                    "): berth cannot power it on — start the host itself");
}
void GenericDriver::stop() {
  unsupported("stop");
}
void GenericDriver::restart() {
  unsupported("restart");
}
void GenericDriver::kill() {
  unsupported("kill");
}

MachineState GenericDriver::state() {
  std::string why;
  return ssh_banner_answers(config_.ip, config_.ssh_port, probe_timeout, why)
             ? MachineState::Running
             : MachineState::Error;
}

void GenericDriver::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string why;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw Timeout("SSH on " + address() + " did not answer within " +
                    std::to_string(timeout.count() / 1000) + " s: " + why);
    }
    if (ssh_banner_answers(config_.ip, config_.ssh_port, std::min(left, probe_timeout), why)) {
      return;
    }
    ::usleep(200'000);
  }
}

std::string GenericDriver::engine_url() {
  const bool v6 = config_.ip.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + config_.ip + "]" : config_.ip) + ":" +
         std::to_string(config_.engine_port);
}

}  // namespace berth::drivers
