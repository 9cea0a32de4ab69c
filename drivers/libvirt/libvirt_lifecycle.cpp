// Starting, stopping and observing a libvirt machine.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "common/log.hpp"
#include "drivers/libvirt/libvirt_driver.hpp"

namespace berth::drivers::libvirt {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr const char* kPing = R"({"execute":"guest-ping"})";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool is_up(DomainRunState s) {
  return s == DomainRunState::Running || s == DomainRunState::Blocked ||
         s == DomainRunState::ShuttingDown;
}

}  // namespace

DomainRunState LibvirtDriver::existing_state(const char* action) {
  auto state = hv_->domain_state(spec_.name);
  if (!state) {
    throw NotFound("cannot " + std::string(action) + " machine " + spec_.name +
                   ": it has no libvirt domain on " + config_.uri +
                   " (removed outside berth, or its creation failed) — remove the machine and "
                   "create it again");
  }
  return *state;
}

void LibvirtDriver::rethrow_start_error(const Error& e) {
  std::string what = e.what();
  if (spec_.network == NetworkMode::User && what.find("host forwarding") != std::string::npos) {
    throw Conflict(what + " — another program is using 127.0.0.1 port " +
                   std::to_string(ssh_port_) + " or " + std::to_string(engine_port_) +
                   ", which machine " + spec_.name +
                   " forwards; stop it and start the machine again");
  }
  if (what.find("Cannot access storage file") != std::string::npos &&
      what.find("Permission denied") != std::string::npos) {
    throw Error("cannot start machine " + spec_.name + ": " + what +
                " — QEMU runs as that user and must be able to reach the storage pool directory " +
                config_.pool_path + ": make every parent directory searchable (chmod o+x)");
  }
  throw Error("cannot start machine " + spec_.name + ": " + what);
}

void LibvirtDriver::boot() {
  try {
    hv_->start_domain(spec_.name);
    return;
  } catch (const Error& e) {
    std::string what = e.what();
    // "failed to initialize kvm: Permission denied", "kvm_buf_set_msrs: Assertion ... failed"
    bool kvm_failed = lower(what).find("kvm") != std::string::npos;
    if (domain_type_ != "kvm" || !kvm_failed) rethrow_start_error(e);
    // /dev/kvm can exist yet be closed to QEMU's user, or be unusable inside some VMs.
    log::warn("QEMU cannot use KVM on this host; using software emulation",
              {{"machine", spec_.name}, {"error", what}});
  }
  domain_type_ = "qemu";
  // Defining again under the same name without the UUID libvirt assigned is refused, and the
  // domain is shut off after the failed start, so replacing it loses nothing.
  hv_->undefine_domain(spec_.name);
  hv_->define_domain(build_domain_xml());
  try {
    hv_->start_domain(spec_.name);
  } catch (const Error& e) {
    rethrow_start_error(e);
  }
}

void LibvirtDriver::start() {
  DomainRunState state = existing_state("start");
  if (state == DomainRunState::ShuttingDown) {
    wait_for_shutoff(config_.stop_timeout);
    state = existing_state("start");
  }
  switch (state) {
    case DomainRunState::Running:
    case DomainRunState::Blocked:
    case DomainRunState::ShuttingDown:
      return;
    case DomainRunState::Paused:
      hv_->resume_domain(spec_.name);
      return;
    default:
      break;
  }
  // After a host reboot (or someone's virsh) the pool or network may be down; the domain needs
  // both.
  ensure_pool();
  if (spec_.network == NetworkMode::Nat) ensure_network();
  boot();
}

bool LibvirtDriver::wait_for_shutoff(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto state = hv_->domain_state(spec_.name);
    if (!state || *state == DomainRunState::Shutoff) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

void LibvirtDriver::stop() {
  DomainRunState state = existing_state("stop");
  if (state == DomainRunState::Shutoff) return;
  if (state == DomainRunState::Crashed || state == DomainRunState::Suspended) {
    hv_->destroy_domain(spec_.name);
    return;
  }
  // A paused guest cannot act on a shutdown request.
  if (state == DomainRunState::Paused) hv_->resume_domain(spec_.name);
  try {
    hv_->shutdown_domain(spec_.name);
  } catch (const Error& e) {
    log::warn("clean shutdown request failed; powering off",
              {{"machine", spec_.name}, {"error", e.what()}});
  }
  if (wait_for_shutoff(config_.stop_timeout)) return;
  log::warn("machine did not power off in time; forcing it off",
            {{"machine", spec_.name}, {"timeout_s", config_.stop_timeout.count()}});
  try {
    hv_->destroy_domain(spec_.name);
  } catch (const Conflict&) {
    // It powered off just now.
  }
}

void LibvirtDriver::restart() {
  stop();
  start();
}

void LibvirtDriver::kill() {
  if (existing_state("kill") == DomainRunState::Shutoff) return;
  try {
    hv_->destroy_domain(spec_.name);
  } catch (const Conflict&) {
  }
}

bool LibvirtDriver::agent_answers(std::chrono::seconds timeout) {
  try {
    hv_->agent_command(spec_.name, kPing, timeout);
    return true;
  } catch (const NotFound&) {
    throw;
  } catch (const Error&) {
    return false;
  }
}

MachineState LibvirtDriver::state() {
  auto state = hv_->domain_state(spec_.name);
  if (!state) return MachineState::Error;
  switch (*state) {
    case DomainRunState::Running:
    case DomainRunState::Blocked:
      return agent_answers(std::chrono::seconds(2)) ? MachineState::Running
                                                    : MachineState::Starting;
    case DomainRunState::ShuttingDown:
      return MachineState::Running;
    case DomainRunState::Paused:
    case DomainRunState::Suspended:
      return MachineState::Paused;
    case DomainRunState::Shutoff:
      return MachineState::Stopped;
    case DomainRunState::Crashed:
    case DomainRunState::NoState:
      return MachineState::Error;
  }
  return MachineState::Error;
}

std::string LibvirtDriver::console_tail() const {
  std::ifstream in(console_log_path(), std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::streamoff>(in.tellg());
  constexpr std::streamoff kTail = 2000;
  in.seekg(std::max<std::streamoff>(0, size - kTail));
  std::string tail((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return tail.empty() ? "" : "; the console log " + console_log_path() + " ends with:\n" + tail;
}

void LibvirtDriver::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    DomainRunState state = existing_state("wait for");
    if (!is_up(state) && state != DomainRunState::Paused) {
      throw Error("machine " + spec_.name + " stopped while booting" + console_tail());
    }
    if (is_up(state) && agent_answers(std::chrono::seconds(2))) return;
    if (Clock::now() >= deadline) {
      throw Timeout("machine " + spec_.name + "'s guest agent did not answer within " +
                    std::to_string(timeout.count() / 1000) + " s" + console_tail());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string LibvirtDriver::agent_command(const std::string& command, std::chrono::seconds timeout) {
  existing_state("talk to the agent of");
  return hv_->agent_command(spec_.name, command, timeout);
}

std::optional<std::string> LibvirtDriver::ip_from(AddressSource source) {
  std::vector<InterfaceAddress> addresses;
  try {
    addresses = hv_->interface_addresses(spec_.name, source);
  } catch (const NotFound&) {
    throw;
  } catch (const Error& e) {
    log::debug("no interface addresses", {{"machine", spec_.name}, {"error", e.what()}});
    return std::nullopt;
  }
  std::string mac = lower(mac_);
  for (const auto& a : addresses) {
    if (a.ipv6 || lower(a.mac) != mac || a.address.rfind("127.", 0) == 0) continue;
    return a.address;
  }
  return std::nullopt;
}

std::optional<std::string> LibvirtDriver::ip_before_create() const {
  if (spec_.network == NetworkMode::User) return "127.0.0.1";
  return std::nullopt;  // NAT: libvirt's DHCP hands the address out at boot
}

bool LibvirtDriver::seed_engine_files(std::map<std::string, std::string> files) {
  for (const auto& [path, contents] : files) validate_engine_file_path(path);
  spec_.engine_files = std::move(files);
  return true;
}

std::string LibvirtDriver::ip() {
  if (spec_.network == NetworkMode::User) return "127.0.0.1";
  if (!is_up(existing_state("get the address of"))) {
    throw Conflict("machine " + spec_.name + " is not running — start it first");
  }
  // The agent knows the address as soon as the guest has it; leases lag and can be stale.
  if (auto address = ip_from(AddressSource::Agent)) return *address;
  if (auto address = ip_from(AddressSource::Lease)) return *address;
  throw Unavailable("machine " + spec_.name +
                    " has no IP address yet (neither its guest agent nor the DHCP leases of "
                    "network " +
                    config_.network + " report one) — it may still be booting; try again");
}

std::string LibvirtDriver::ssh_address() {
  return ip();
}

int LibvirtDriver::ssh_port() {
  return ssh_port_;
}

std::string LibvirtDriver::engine_url() {
  if (spec_.network == NetworkMode::User) {
    return "tcp://127.0.0.1:" + std::to_string(engine_port_);
  }
  return "tcp://" + ip() + ":" + std::to_string(engine_port_);
}

}  // namespace berth::drivers::libvirt
