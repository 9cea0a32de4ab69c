#pragma once
// A berth machine as a libvirt domain: direct kernel boot from the berth VM image, a qcow2 data
// disk and a NoCloud seed in a berth storage pool, the guest agent on a virtio-serial channel, and
// either the shared berth NAT network or QEMU user-mode networking with forwarded loopback ports.
//
// Names in libvirt, all derived from the machine name so that remove() can find everything even
// when create() died before the driver state was saved: domain NAME; volumes NAME-vmlinuz,
// NAME-initrd, NAME-seed.iso, NAME-data.qcow2 in the pool; console log MACHINE_DIR/console.log.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/driver.hpp"
#include "drivers/libvirt/host_probe.hpp"
#include "drivers/libvirt/hypervisor.hpp"
#include "drivers/libvirt/libvirt_config.hpp"

namespace berth::drivers::libvirt {

// File names the VM image build writes (images/vm). The first that exists is used.
inline const std::vector<std::string> kImageKernelNames = {"vmlinuz"};
inline const std::vector<std::string> kImageInitrdNames = {"initramfs.img", "initramfs"};
// The serial console is what the boot log and `virsh console` show. cryptomgr.notests: the kernel
// self-tests every crypto algorithm when it is first registered or used (the first module load
// checks a signature), which costs about a second of boot under software emulation; module
// signatures are still verified.
inline constexpr std::string_view kKernelCmdline = "console=ttyS0 quiet cryptomgr.notests";

class LibvirtDriver : public Driver {
 public:
  LibvirtDriver(MachineSpec spec, LibvirtConfig config, std::shared_ptr<Hypervisor> hypervisor,
                HostProbe probe = real_host_probe());
  // Rebuilds the driver from to_json(); the hypervisor is created for the stored URI when null.
  static std::unique_ptr<LibvirtDriver> from_json(const Json& state,
                                                  std::shared_ptr<Hypervisor> hypervisor = nullptr,
                                                  HostProbe probe = real_host_probe());

  std::string driver_name() const override { return "libvirt"; }
  std::string machine_name() const override { return spec_.name; }

  void pre_create_check() override;
  void create() override;
  void start() override;
  void stop() override;
  void restart() override;
  void kill() override;
  void remove() override;

  MachineState state() override;
  void wait_ready(std::chrono::milliseconds timeout) override;

  std::string ip() override;
  std::string ssh_address() override;
  int ssh_port() override;
  std::string engine_url() override;
  std::optional<std::string> ip_before_create() const override;
  bool seed_engine_files(std::map<std::string, std::string> files) override;

  Json to_json() const override;

  // A raw QEMU guest agent command (e.g. {"execute":"berth-status"}); returns the JSON reply.
  std::string agent_command(const std::string& command,
                            std::chrono::seconds timeout = std::chrono::seconds(10));

  const MachineSpec& spec() const { return spec_; }
  const LibvirtConfig& config() const { return config_; }
  const std::string& mac() const { return mac_; }
  int engine_port() const { return engine_port_; }
  std::string console_log_path() const;

  // Volume names in the pool.
  std::string kernel_volume() const { return spec_.name + "-vmlinuz"; }
  std::string initrd_volume() const { return spec_.name + "-initrd"; }
  std::string seed_volume() const { return spec_.name + "-seed.iso"; }
  std::string data_volume() const { return spec_.name + "-data.qcow2"; }

 private:
  // create() steps (libvirt_create.cpp); each may be repeated after a crash.
  void check_spec() const;
  std::string image_file(const std::vector<std::string>& names, const char* what) const;
  void check_disk_space();
  void ensure_pool();
  void ensure_network();
  void put_volume(const std::string& volume, std::uint64_t capacity, std::string_view format,
                  std::optional<std::string_view> contents);
  std::string build_domain_xml();
  void delete_volume_if_present(const std::string& volume);
  void power_off_for_removal(DomainRunState state);
  void remove_domain();

  // lifecycle helpers (libvirt_lifecycle.cpp)
  // Starts the defined domain; falls back to software emulation when QEMU cannot open /dev/kvm.
  void boot();
  DomainRunState existing_state(const char* action);
  bool wait_for_shutoff(std::chrono::milliseconds timeout);
  bool agent_answers(std::chrono::seconds timeout);
  std::optional<std::string> ip_from(AddressSource source);
  std::string console_tail() const;
  [[noreturn]] void rethrow_start_error(const Error& e);

  MachineSpec spec_;
  LibvirtConfig config_;
  std::shared_ptr<Hypervisor> hv_;
  HostProbe probe_;
  // Fixed at create() and kept in the driver state.
  std::string mac_;
  std::string domain_type_;  // "kvm" or "qemu"
  int ssh_port_ = 22;        // the forwarded loopback port with user-mode networking
  int engine_port_ = kEnginePort;
};

}  // namespace berth::drivers::libvirt
