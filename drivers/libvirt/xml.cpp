#include "drivers/libvirt/xml.hpp"

#include <sstream>

namespace berth::drivers::libvirt {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// User-mode networking as QEMU arguments: this libvirt build rejects <interface type='user'> with a
// passt backend, and its SLIRP <interface type='user'> has no port forwarding. hostfwd binds
// 127.0.0.1 only. The explicit PCI address avoids slot 2, which the balloon device claims.
void user_network(std::ostringstream& x, const DomainParams& p) {
  std::string netdev = "user,id=berthnet0,hostfwd=tcp:127.0.0.1:" + std::to_string(p.ssh_port) +
                       "-:22,hostfwd=tcp:127.0.0.1:" + std::to_string(p.engine_port) +
                       "-:" + std::to_string(kEnginePort);
  std::string device = "virtio-net-pci,netdev=berthnet0,addr=0x9,mac=" + p.mac;
  x << "  <qemu:commandline>\n"
    << "    <qemu:arg value='-netdev'/>\n"
    << "    <qemu:arg value='" << xml_escape(netdev) << "'/>\n"
    << "    <qemu:arg value='-device'/>\n"
    << "    <qemu:arg value='" << xml_escape(device) << "'/>\n"
    << "  </qemu:commandline>\n";
}

}  // namespace

std::string domain_xml(const DomainParams& p) {
  std::ostringstream x;
  x << "<domain type='" << (p.kvm ? "kvm" : "qemu")
    << "' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
    << "  <name>" << xml_escape(p.name) << "</name>\n"
    << "  <title>berth machine " << xml_escape(p.name) << "</title>\n"
    << "  <metadata>\n"
    << "    <berth:machine xmlns:berth='" << kMetadataNamespace << "'>"
    << "<berth:driver>libvirt</berth:driver></berth:machine>\n"
    << "  </metadata>\n"
    << "  <memory unit='MiB'>" << p.memory_mib << "</memory>\n"
    << "  <vcpu>" << p.cpus << "</vcpu>\n"
    << "  <os>\n"
    << "    <type arch='x86_64' machine='pc'>hvm</type>\n"
    << "    <kernel>" << xml_escape(p.kernel_path) << "</kernel>\n"
    << "    <initrd>" << xml_escape(p.initrd_path) << "</initrd>\n"
    << "    <cmdline>" << xml_escape(p.cmdline) << "</cmdline>\n"
    << "  </os>\n"
    << "  <features><acpi/><apic/></features>\n";
  // Software emulation cannot pass the host CPU through; QEMU's default model boots Debian's
  // kernel.
  if (p.kvm) x << "  <cpu mode='host-passthrough'/>\n";
  x << "  <clock offset='utc'/>\n"
    << "  <on_poweroff>destroy</on_poweroff>\n"
    << "  <on_reboot>restart</on_reboot>\n"
    << "  <on_crash>destroy</on_crash>\n"
    << "  <devices>\n"
    // Serials let the guest tell its disks apart without relying on probe order.
    << "    <disk type='volume' device='disk'>\n"
    << "      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
    << "      <source pool='" << xml_escape(p.pool) << "' volume='" << xml_escape(p.data_volume)
    << "'/>\n"
    << "      <target dev='vda' bus='virtio'/>\n"
    << "      <serial>berth-data</serial>\n"
    << "    </disk>\n"
    // The seed is a plain virtio disk rather than a CD-ROM: the cloud kernel has virtio_blk but the
    // initramfs would need the whole ATA/SCSI CD stack for a cdrom device.
    << "    <disk type='volume' device='disk'>\n"
    << "      <driver name='qemu' type='raw'/>\n"
    << "      <source pool='" << xml_escape(p.pool) << "' volume='" << xml_escape(p.seed_volume)
    << "'/>\n"
    << "      <target dev='vdb' bus='virtio'/>\n"
    << "      <serial>berth-seed</serial>\n"
    << "      <readonly/>\n"
    << "    </disk>\n"
    << "    <controller type='usb' model='none'/>\n"
    << "    <controller type='virtio-serial' index='0'/>\n"
    // libvirt picks the socket path and connects its agent client to it, which is what makes
    // virDomainQemuAgentCommand, agent shutdown and agent interface addresses work.
    << "    <channel type='unix'>\n"
    << "      <source mode='bind'/>\n"
    << "      <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
    << "    </channel>\n"
    // virtlogd (root) writes the console log, so it works even when QEMU's user cannot write to
    // the machine folder; it also rotates the file.
    << "    <serial type='pty'>\n"
    << "      <log file='" << xml_escape(p.console_log) << "' append='on'/>\n"
    << "      <target port='0'/>\n"
    << "    </serial>\n"
    << "    <console type='pty'><target type='serial' port='0'/></console>\n";
  if (p.network == NetworkMode::Nat) {
    x << "    <interface type='network'>\n"
      << "      <source network='" << xml_escape(p.network_name) << "'/>\n"
      << "      <mac address='" << xml_escape(p.mac) << "'/>\n"
      << "      <model type='virtio'/>\n"
      << "    </interface>\n";
  }
  x << "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
    << "    <video><model type='none'/></video>\n"
    << "    <memballoon model='virtio'/>\n"
    << "  </devices>\n";
  if (p.network == NetworkMode::User) user_network(x, p);
  x << "</domain>\n";
  return x.str();
}

std::string pool_xml(const std::string& name, const std::string& path) {
  std::ostringstream x;
  x << "<pool type='dir'>\n"
    << "  <name>" << xml_escape(name) << "</name>\n"
    << "  <target>\n"
    << "    <path>" << xml_escape(path) << "</path>\n"
    << "    <permissions><mode>0711</mode></permissions>\n"
    << "  </target>\n"
    << "</pool>\n";
  return x.str();
}

std::string volume_xml(const std::string& name, std::uint64_t capacity_bytes,
                       std::string_view format) {
  std::ostringstream x;
  x << "<volume>\n"
    << "  <name>" << xml_escape(name) << "</name>\n"
    << "  <capacity unit='bytes'>" << capacity_bytes << "</capacity>\n"
    << "  <allocation unit='bytes'>0</allocation>\n"
    << "  <target>\n"
    << "    <format type='" << xml_escape(format) << "'/>\n"
    << "    <permissions><mode>0600</mode></permissions>\n"
    << "  </target>\n"
    << "</volume>\n";
  return x.str();
}

std::string network_xml(const std::string& name, const std::string& bridge, const Subnet& subnet) {
  std::ostringstream x;
  x << "<network>\n"
    << "  <name>" << xml_escape(name) << "</name>\n"
    << "  <forward mode='nat'/>\n"
    << "  <bridge name='" << xml_escape(bridge) << "' stp='on' delay='0'/>\n"
    << "  <ip address='" << subnet.gateway() << "' netmask='" << subnet.netmask() << "'>\n"
    << "    <dhcp><range start='" << subnet.dhcp_first() << "' end='" << subnet.dhcp_last()
    << "'/></dhcp>\n"
    << "  </ip>\n"
    << "</network>\n";
  return x.str();
}

}  // namespace berth::drivers::libvirt
