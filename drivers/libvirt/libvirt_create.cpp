// Creating and removing a libvirt machine, and its driver state.
#include <algorithm>
#include <ctime>
#include <filesystem>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "drivers/libvirt/libvirt_driver.hpp"
#include "drivers/libvirt/libvirt_hypervisor.hpp"
#include "drivers/libvirt/seed_iso.hpp"
#include "drivers/libvirt/xml.hpp"

namespace berth::drivers::libvirt {

namespace {

constexpr std::uint64_t kGiB = 1024ull * 1024 * 1024;

std::string gib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / kGiB);
  return buf;
}

}  // namespace

LibvirtDriver::LibvirtDriver(MachineSpec spec, LibvirtConfig config,
                             std::shared_ptr<Hypervisor> hypervisor, HostProbe probe)
    : spec_(std::move(spec)),
      config_(config.resolved()),
      hv_(std::move(hypervisor)),
      probe_(std::move(probe)),
      mac_(mac_for_machine(spec_.name)) {
  if (!hv_) hv_ = std::make_shared<LibvirtHypervisor>(config_.uri);
}

std::unique_ptr<LibvirtDriver> LibvirtDriver::from_json(const Json& state,
                                                        std::shared_ptr<Hypervisor> hypervisor,
                                                        HostProbe probe) {
  if (!state.is_object()) throw InvalidArgument("libvirt driver state must be a JSON object");
  const Json* spec = find_field(state, "spec");
  const Json* config = find_field(state, "config");
  if (!spec || !config) throw InvalidArgument("libvirt driver state lacks \"spec\" or \"config\"");
  auto driver = std::make_unique<LibvirtDriver>(spec_from_json(*spec), config_from_json(*config),
                                                std::move(hypervisor), std::move(probe));
  driver->mac_ = get_string(state, "mac", driver->mac_);
  driver->domain_type_ = get_string(state, "domain_type");
  driver->ssh_port_ = static_cast<int>(get_int64(state, "ssh_port", driver->ssh_port_));
  driver->engine_port_ = static_cast<int>(get_int64(state, "engine_port", driver->engine_port_));
  return driver;
}

Json LibvirtDriver::to_json() const {
  return Json{{"spec", spec_to_json(spec_)},
              {"config", config_to_json(config_)},
              {"mac", mac_},
              {"domain_type", domain_type_},
              {"ssh_port", ssh_port_},
              {"engine_port", engine_port_}};
}

std::string LibvirtDriver::console_log_path() const {
  return spec_.machine_dir + "/console.log";
}

std::string LibvirtDriver::image_file(const std::vector<std::string>& names,
                                      const char* what) const {
  for (const auto& name : names) {
    std::string path = spec_.image_dir + "/" + name;
    if (std::filesystem::is_regular_file(path)) return path;
  }
  throw NotFound("the berth VM image is missing its " + std::string(what) + ": no " +
                 spec_.image_dir + "/" + names.front() +
                 " — build the image (scripts/build writes it to build/images/vm) or point the "
                 "machine at the folder that holds it");
}

void LibvirtDriver::check_spec() const {
  validate_machine_name(spec_.name);
  if (spec_.cpus < 1 || spec_.cpus > 256) {
    throw InvalidArgument("machine " + spec_.name + ": CPU count " + std::to_string(spec_.cpus) +
                          " is out of range — use 1 to 256");
  }
  if (spec_.memory_mib < 128) {
    throw InvalidArgument("machine " + spec_.name + ": " + std::to_string(spec_.memory_mib) +
                          " MiB of memory is too little to boot — use at least 128");
  }
  if (spec_.disk_gb < 1) {
    throw InvalidArgument("machine " + spec_.name + ": the disk must be at least 1 GB");
  }
  if (spec_.machine_dir.empty() || spec_.machine_dir.front() != '/') {
    throw InvalidArgument("machine " + spec_.name + ": the machine folder \"" + spec_.machine_dir +
                          "\" must be an absolute path");
  }
  if (spec_.image_dir.empty() || !std::filesystem::is_directory(spec_.image_dir)) {
    throw NotFound("the berth VM image folder \"" + spec_.image_dir +
                   "\" does not exist — build the image (scripts/build writes it to "
                   "build/images/vm) or point the machine at the folder that holds it");
  }
  image_file(kImageKernelNames, "kernel");
  image_file(kImageInitrdNames, "initramfs");
  normalize_ssh_public_key(spec_.ssh_public_key);
  for (const auto& [path, contents] : spec_.engine_files) validate_engine_file_path(path);
}

void LibvirtDriver::check_disk_space() {
  std::uint64_t needed = static_cast<std::uint64_t>(spec_.disk_gb) * kGiB +
                         std::filesystem::file_size(image_file(kImageKernelNames, "kernel")) +
                         std::filesystem::file_size(image_file(kImageInitrdNames, "initramfs"));
  std::uint64_t available = 0;
  std::string where = config_.pool_path;
  auto pool = hv_->pool_info(config_.pool);
  if (pool && pool->active) {
    available = pool->available_bytes;
    if (!pool->path.empty()) where = pool->path;
  } else {
    available = probe_.free_bytes(config_.pool_path);
  }
  if (available < needed) {
    throw Unavailable("not enough disk space for machine " + spec_.name + ": its " +
                      std::to_string(spec_.disk_gb) + " GB disk and boot files need " +
                      gib(needed) + " in " + where + ", which has " + gib(available) +
                      " free — free some space or choose a smaller disk size");
  }
}

void LibvirtDriver::pre_create_check() {
  check_spec();
  if (hv_->domain_state(spec_.name)) {
    throw Conflict("a libvirt domain named " + spec_.name + " already exists on " + config_.uri +
                   " — choose another machine name (if it is a leftover, `virsh -c " + config_.uri +
                   " undefine " + spec_.name + "` removes it)");
  }
  check_disk_space();
}

void LibvirtDriver::ensure_pool() {
  auto info = hv_->pool_info(config_.pool);
  if (!info) {
    try {
      hv_->define_pool(pool_xml(config_.pool, config_.pool_path));
    } catch (const Error&) {
      // Another berth process may have defined it at the same moment.
      if (!hv_->pool_info(config_.pool)) throw;
    }
    info = hv_->pool_info(config_.pool);
  }
  if (info && info->active) {
    hv_->refresh_pool(config_.pool);
    return;
  }
  try {
    hv_->start_pool(config_.pool);
  } catch (const Error&) {
    auto now = hv_->pool_info(config_.pool);
    if (!now || !now->active) throw;
  }
}

void LibvirtDriver::ensure_network() {
  auto active = hv_->network_active(config_.network);
  if (!active) {
    try {
      hv_->define_network(
          network_xml(config_.network, config_.bridge, Subnet::parse(config_.subnet)));
    } catch (const Error&) {
      if (!hv_->network_active(config_.network)) throw;
    }
    active = hv_->network_active(config_.network);
  }
  if (active && *active) return;
  try {
    hv_->start_network(config_.network);
  } catch (const Error& e) {
    auto now = hv_->network_active(config_.network);
    if (now && *now) return;
    throw Unavailable(std::string(e.what()) + " — the berth NAT network uses " + config_.subnet +
                      " on bridge " + config_.bridge +
                      "; if that subnet is already in use on this host, configure another one");
  }
}

void LibvirtDriver::delete_volume_if_present(const std::string& volume) {
  if (hv_->volume_exists(config_.pool, volume)) hv_->delete_volume(config_.pool, volume);
}

void LibvirtDriver::put_volume(const std::string& volume, std::uint64_t capacity,
                               std::string_view format, std::optional<std::string_view> contents) {
  // A volume left by an earlier, interrupted create is stale: start over.
  delete_volume_if_present(volume);
  hv_->create_volume(config_.pool, volume_xml(volume, capacity, format));
  if (contents) hv_->upload_volume(config_.pool, volume, *contents);
}

std::string LibvirtDriver::build_domain_xml() {
  DomainParams p;
  p.name = spec_.name;
  p.kvm = domain_type_ == "kvm";
  p.cpus = spec_.cpus;
  p.memory_mib = spec_.memory_mib;
  p.kernel_path = hv_->volume_path(config_.pool, kernel_volume());
  p.initrd_path = hv_->volume_path(config_.pool, initrd_volume());
  p.cmdline = std::string(kKernelCmdline);
  p.pool = config_.pool;
  p.data_volume = data_volume();
  p.seed_volume = seed_volume();
  p.console_log = console_log_path();
  p.network = spec_.network;
  p.network_name = config_.network;
  p.mac = mac_;
  p.ssh_port = ssh_port_;
  p.engine_port = engine_port_;
  return domain_xml(p);
}

void LibvirtDriver::create() {
  pre_create_check();
  mac_ = mac_for_machine(spec_.name);
  domain_type_ = config_.virt_type != "auto" ? config_.virt_type
                 : probe_.kvm_available()    ? "kvm"
                                             : "qemu";
  if (spec_.network == NetworkMode::User) {
    auto ports = probe_.free_loopback_ports(2);
    ssh_port_ = ports.at(0);
    engine_port_ = ports.at(1);
  } else {
    ssh_port_ = 22;
    engine_port_ = kEnginePort;
  }
  log::info("creating machine",
            {{"machine", spec_.name}, {"uri", config_.uri}, {"type", domain_type_}});
  ensure_directory(spec_.machine_dir, 0700);
  ensure_pool();
  if (spec_.network == NetworkMode::Nat) ensure_network();
  log::debug("storage pool and network ready", {{"machine", spec_.name}});

  // Boot files are copied into the pool: QEMU runs as its own user under qemu:///system and cannot
  // be assumed to read the image folder (often under a home directory), and a machine keeps booting
  // the image it was created from until it is upgraded.
  std::string kernel = read_file(image_file(kImageKernelNames, "kernel"));
  put_volume(kernel_volume(), kernel.size(), "raw", kernel);
  log::debug("uploaded the kernel", {{"machine", spec_.name}, {"bytes", kernel.size()}});
  kernel.clear();
  kernel.shrink_to_fit();
  std::string initrd = read_file(image_file(kImageInitrdNames, "initramfs"));
  put_volume(initrd_volume(), initrd.size(), "raw", initrd);
  log::debug("uploaded the initramfs", {{"machine", spec_.name}, {"bytes", initrd.size()}});
  initrd.clear();
  initrd.shrink_to_fit();

  std::string instance_id = "berth-" + spec_.name + "-" + std::to_string(std::time(nullptr));
  std::string iso = build_seed_iso(
      nocloud_seed(spec_.name, spec_.ssh_public_key, instance_id, spec_.engine_files));
  put_volume(seed_volume(), iso.size(), "raw", iso);
  put_volume(data_volume(), static_cast<std::uint64_t>(spec_.disk_gb) * kGiB, "qcow2",
             std::nullopt);

  log::debug("created the seed and data disk", {{"machine", spec_.name}});
  hv_->define_domain(build_domain_xml());
  log::debug("defined the domain", {{"machine", spec_.name}});
  boot();
}

void LibvirtDriver::power_off_for_removal(DomainRunState state) {
  // A guest that shuts down cleanly releases its DHCP lease (dnsmasq forgets it at once); a
  // destroyed one leaves the lease until it expires. So a responsive guest gets a short clean
  // shutdown first.
  bool up = state == DomainRunState::Running || state == DomainRunState::Blocked;
  if (up && agent_answers(std::chrono::seconds(2))) {
    try {
      hv_->shutdown_domain(spec_.name);
      if (wait_for_shutoff(std::min<std::chrono::milliseconds>(config_.stop_timeout,
                                                               std::chrono::seconds(15)))) {
        return;
      }
    } catch (const Error& e) {
      log::debug("clean shutdown before removal failed",
                 {{"machine", spec_.name}, {"error", e.what()}});
    }
  }
  try {
    hv_->destroy_domain(spec_.name);
  } catch (const Conflict&) {
    // It stopped by itself in the meantime.
  }
}

void LibvirtDriver::remove_domain() {
  auto state = hv_->domain_state(spec_.name);
  if (!state) return;
  std::optional<std::string> ours;
  try {
    ours = hv_->domain_metadata(spec_.name, std::string(kMetadataNamespace));
  } catch (const NotFound&) {
    return;  // undefined by someone else just now
  }
  if (!ours) {
    // Not ours (the name clash that made create() fail, say): leave that domain alone.
    log::warn("not removing a libvirt domain berth did not create",
              {{"domain", spec_.name}, {"uri", config_.uri}});
    return;
  }
  if (*state != DomainRunState::Shutoff) power_off_for_removal(*state);
  try {
    hv_->undefine_domain(spec_.name);
  } catch (const NotFound&) {
  }
}

void LibvirtDriver::remove() {
  remove_domain();

  if (auto pool = hv_->pool_info(config_.pool)) {
    if (!pool->active) ensure_pool();
    hv_->refresh_pool(config_.pool);
    for (const auto& volume : {data_volume(), seed_volume(), initrd_volume(), kernel_volume()}) {
      try {
        delete_volume_if_present(volume);
      } catch (const NotFound&) {
      }
    }
  }

  // virtlogd keeps rotated copies as console.log.0, .1, ...
  if (!spec_.machine_dir.empty() && std::filesystem::is_directory(spec_.machine_dir)) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(spec_.machine_dir, ec)) {
      std::string name = entry.path().filename().string();
      if (name == "console.log" || name.rfind("console.log.", 0) == 0) {
        std::filesystem::remove(entry.path(), ec);
      }
    }
  }
}

}  // namespace berth::drivers::libvirt
