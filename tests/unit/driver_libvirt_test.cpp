// The libvirt driver against a hand-written fake Hypervisor: what create() defines, that remove()
// cleans up after every possible failure, state and address mapping, and the bad-input errors.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/error.hpp"
#include "drivers/libvirt/libvirt_driver.hpp"
#include "drivers/libvirt/libvirt_hypervisor.hpp"
#include "drivers/libvirt/xml.hpp"
#include "drivers/testing/fake_hypervisor.hpp"

using namespace berth;
using namespace berth::drivers;
using namespace berth::drivers::libvirt;
using berth::drivers::libvirt::testing::FakeHypervisor;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  std::shared_ptr<FakeHypervisor> hv = std::make_shared<FakeHypervisor>();
  bool kvm = false;
  std::uint64_t host_free = 100ull << 30;

  Fixture() {
    dir = fs::temp_directory_path() /
          ("berth-driver-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(dir / "image");
    std::ofstream(dir / "image" / "vmlinuz") << "KERNEL";
    std::ofstream(dir / "image" / "initramfs.img") << "INITRD";
  }
  ~Fixture() { fs::remove_all(dir); }
  static int& counter() {
    static int n = 0;
    return n;
  }

  MachineSpec spec(const std::string& name = "m1", NetworkMode mode = NetworkMode::Nat) const {
    MachineSpec s;
    s.name = name;
    s.cpus = 2;
    s.memory_mib = 768;
    s.disk_gb = 5;
    s.network = mode;
    s.image_dir = (dir / "image").string();
    s.machine_dir = (dir / "machines" / name).string();
    s.ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 me@host\n";
    return s;
  }
  HostProbe probe() {
    HostProbe p;
    p.kvm_available = [this] { return kvm; };
    p.free_loopback_ports = [](int n) {
      std::vector<int> ports;
      for (int i = 0; i < n; ++i) ports.push_back(40000 + i);
      return ports;
    };
    p.free_bytes = [this](const std::string&) { return host_free; };
    return p;
  }
  LibvirtDriver driver(const MachineSpec& s) {
    LibvirtConfig config;
    config.pool_path = (dir / "pool").string();
    config.stop_timeout = std::chrono::seconds(0);
    return LibvirtDriver(s, config, hv, probe());
  }
  std::string xml(const std::string& name = "m1") { return hv->domains.at(name).xml; }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("libvirt create defines a domain that boots the image with agent, disks and NIC") {
  Fixture f;
  auto d = f.driver(f.spec());
  d.create();
  std::string xml = f.xml();
  std::string pool = (f.dir / "pool").string();
  CHECK(contains(xml, "<domain type='qemu'"));  // no KVM in this fixture
  CHECK(contains(xml, "<kernel>" + pool + "/m1-vmlinuz</kernel>"));
  CHECK(contains(xml, "<initrd>" + pool + "/m1-initrd</initrd>"));
  CHECK(contains(xml, "<cmdline>console=ttyS0 quiet cryptomgr.notests</cmdline>"));
  CHECK(contains(xml, "<target type='virtio' name='org.qemu.guest_agent.0'/>"));
  CHECK(contains(xml, "<source pool='berth' volume='m1-data.qcow2'/>"));
  CHECK(contains(xml, "<source pool='berth' volume='m1-seed.iso'/>"));
  CHECK(contains(xml, "<serial>berth-data</serial>"));
  CHECK(contains(xml, "<log file='" + f.spec().machine_dir + "/console.log'"));
  CHECK(contains(xml, "<source network='berth'/>"));
  CHECK(contains(xml, "<mac address='" + mac_for_machine("m1") + "'/>"));
  CHECK(contains(xml, "<memory unit='MiB'>768</memory>"));
  CHECK(contains(xml, "<vcpu>2</vcpu>"));
  CHECK(contains(xml, std::string(kMetadataNamespace)));
  CHECK_FALSE(contains(xml, "hostfwd"));
  // Boot files are uploaded into the pool, the seed is an ISO, and the domain runs.
  CHECK(f.hv->volumes.at("berth/m1-vmlinuz") == "KERNEL");
  CHECK(f.hv->volumes.at("berth/m1-initrd") == "INITRD");
  CHECK(f.hv->volumes.at("berth/m1-seed.iso").substr(32769, 5) == "CD001");
  CHECK(f.hv->volumes.count("berth/m1-data.qcow2") == 1);
  CHECK(f.hv->domains.at("m1").state == DomainRunState::Running);
  CHECK(f.hv->pools.at("berth").active);
  CHECK(f.hv->networks.at("berth"));
  CHECK(contains(f.hv->network_definition, "<forward mode='nat'/>"));
  CHECK(contains(f.hv->network_definition, "<range start='192.168.151.2' end='192.168.151.254'/>"));
}

TEST_CASE("libvirt create uses KVM when the host has it and falls back when QEMU cannot") {
  Fixture f;
  f.kvm = true;
  SECTION("kvm works") {
    auto d = f.driver(f.spec());
    d.create();
    CHECK(contains(f.xml(), "<domain type='kvm'"));
    CHECK(contains(f.xml(), "host-passthrough"));
    CHECK(d.to_json()["domain_type"] == "kvm");
  }
  SECTION("QEMU may not open /dev/kvm") {
    f.hv->start_error =
        "qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied";
    auto d = f.driver(f.spec());
    d.create();
    CHECK(contains(f.xml(), "<domain type='qemu'"));
    CHECK(f.hv->domains.at("m1").state == DomainRunState::Running);
    CHECK(d.to_json()["domain_type"] == "qemu");
  }
}

TEST_CASE("libvirt user-mode networking forwards loopback ports and reports them") {
  Fixture f;
  auto d = f.driver(f.spec("u1", NetworkMode::User));
  d.create();
  std::string xml = f.xml("u1");
  CHECK(contains(xml, "hostfwd=tcp:127.0.0.1:40000-:22,hostfwd=tcp:127.0.0.1:40001-:2376"));
  CHECK(contains(xml, "virtio-net-pci,netdev=berthnet0,addr=0x9"));
  CHECK_FALSE(contains(xml, "<interface"));
  CHECK(f.hv->networks.empty());  // no NAT network needed
  CHECK(d.ip() == "127.0.0.1");
  CHECK(d.ssh_address() == "127.0.0.1");
  CHECK(d.ssh_port() == 40000);
  CHECK(d.engine_url() == "tcp://127.0.0.1:40001");
  // The ports survive a reload from the stored state.
  auto again = LibvirtDriver::from_json(d.to_json(), f.hv, f.probe());
  CHECK(again->engine_url() == "tcp://127.0.0.1:40001");
  CHECK(again->ssh_port() == 40000);
}

TEST_CASE("libvirt create then remove leaves nothing of the machine behind") {
  Fixture f;
  auto d = f.driver(f.spec());
  d.create();
  std::ofstream(f.spec().machine_dir + "/console.log") << "boot";
  std::ofstream(f.spec().machine_dir + "/console.log.0") << "older boot";
  std::ofstream(f.spec().machine_dir + "/config.json") << "{}";
  d.remove();
  // A running guest is asked to shut down first, so that it releases its DHCP lease.
  CHECK(std::count(f.hv->calls.begin(), f.hv->calls.end(), "shutdown_domain") == 1);
  CHECK(std::count(f.hv->calls.begin(), f.hv->calls.end(), "destroy_domain") == 0);
  CHECK(f.hv->domains.empty());
  CHECK(f.hv->volumes.empty());
  CHECK_FALSE(fs::exists(f.spec().machine_dir + "/console.log"));
  CHECK_FALSE(fs::exists(f.spec().machine_dir + "/console.log.0"));
  CHECK(fs::exists(f.spec().machine_dir + "/config.json"));  // the manager's file
  d.remove();                                                // idempotent
  CHECK(f.hv->domains.empty());
}

TEST_CASE("libvirt remove cleans up after create failed at any step") {
  // Count the mutating calls of a successful create, then fail each one in turn.
  int steps = 0;
  {
    Fixture f;
    f.driver(f.spec()).create();
    steps = f.hv->mutations;
  }
  REQUIRE(steps >= 10);
  for (int step = 1; step <= steps; ++step) {
    Fixture f;
    f.hv->fail_on_call = step;
    auto d = f.driver(f.spec());
    INFO("failing mutating call " << step);
    REQUIRE_THROWS_AS(d.create(), Error);
    INFO("failed at " << f.hv->calls.back());
    f.hv->fail_on_call = 0;
    // The manager rebuilds the driver from what it saved, which may be the pre-create state.
    auto reloaded = LibvirtDriver::from_json(d.to_json(), f.hv, f.probe());
    reloaded->remove();
    CHECK(f.hv->domains.empty());
    CHECK(f.hv->volumes.empty());
    // And a create after the cleanup works.
    auto fresh = f.driver(f.spec());
    fresh.create();
    CHECK(f.hv->domains.at("m1").state == DomainRunState::Running);
  }
}

TEST_CASE("libvirt remove never touches a domain berth did not create") {
  Fixture f;
  f.hv->domains["web"] =
      FakeHypervisor::Domain{"<domain><name>web</name></domain>", DomainRunState::Running};
  auto d = f.driver(f.spec("web"));
  CHECK_THROWS_AS(d.create(), Conflict);
  d.remove();
  REQUIRE(f.hv->domains.count("web") == 1);
  CHECK(f.hv->domains.at("web").state == DomainRunState::Running);
}

TEST_CASE("libvirt machine states map from domain states and the agent") {
  Fixture f;
  auto d = f.driver(f.spec());
  CHECK(d.state() == MachineState::Error);  // no domain at all
  d.create();
  auto& dom = f.hv->domains.at("m1");
  CHECK(d.state() == MachineState::Running);
  f.hv->agent_connected = false;
  CHECK(d.state() == MachineState::Starting);
  dom.state = DomainRunState::Paused;
  CHECK(d.state() == MachineState::Paused);
  dom.state = DomainRunState::Suspended;
  CHECK(d.state() == MachineState::Paused);
  dom.state = DomainRunState::Shutoff;
  CHECK(d.state() == MachineState::Stopped);
  dom.state = DomainRunState::Crashed;
  CHECK(d.state() == MachineState::Error);
  dom.state = DomainRunState::ShuttingDown;
  CHECK(d.state() == MachineState::Running);
}

TEST_CASE("libvirt stop, start, kill and restart") {
  Fixture f;
  auto d = f.driver(f.spec());
  d.create();
  auto count = [&](const std::string& call) {
    return std::count(f.hv->calls.begin(), f.hv->calls.end(), call);
  };
  SECTION("stop asks the guest and does not force it when it powers off") {
    d.stop();
    CHECK(d.state() == MachineState::Stopped);
    CHECK(count("shutdown_domain") == 1);
    CHECK(count("destroy_domain") == 0);
    d.stop();  // no-op when stopped
    CHECK(count("shutdown_domain") == 1);
    d.start();
    CHECK(d.state() == MachineState::Running);
  }
  SECTION("stop forces the guest off after the timeout") {
    f.hv->shutdown_powers_off = false;
    d.stop();
    CHECK(count("destroy_domain") == 1);
    CHECK(d.state() == MachineState::Stopped);
  }
  SECTION("kill destroys, and is a no-op when stopped") {
    d.kill();
    d.kill();
    CHECK(count("destroy_domain") == 1);
    CHECK(d.state() == MachineState::Stopped);
  }
  SECTION("start resumes a paused machine and restart cycles it") {
    f.hv->domains.at("m1").state = DomainRunState::Paused;
    d.start();
    CHECK(count("resume_domain") == 1);
    d.restart();
    CHECK(count("shutdown_domain") == 1);
    CHECK(d.state() == MachineState::Running);
  }
  SECTION("start brings the network back when it is down") {
    d.kill();
    f.hv->networks.at("berth") = false;
    d.start();
    CHECK(f.hv->networks.at("berth"));
  }
  SECTION("wait_ready returns once the agent answers, and reports a boot that never gets there") {
    d.wait_ready(std::chrono::milliseconds(100));
    f.hv->agent_connected = false;
    CHECK_THROWS_AS(d.wait_ready(std::chrono::milliseconds(300)), Timeout);
    d.kill();
    CHECK_THROWS_WITH(d.wait_ready(std::chrono::seconds(5)),
                      Catch::Contains("stopped while booting"));
  }
  SECTION("a machine whose domain vanished says so") {
    f.hv->domains.clear();
    CHECK_THROWS_WITH(d.start(), Catch::Contains("has no libvirt domain"));
  }
}

TEST_CASE("libvirt ip comes from the agent, then from DHCP leases") {
  Fixture f;
  auto d = f.driver(f.spec());
  d.create();
  std::string mac = mac_for_machine("m1");
  InterfaceAddress lo{"lo", "00:00:00:00:00:00", "127.0.0.1", 8, false};
  InterfaceAddress v6{"eth0", mac, "fe80::1", 64, true};
  InterfaceAddress other{"eth1", "52:54:00:00:00:01", "10.9.9.9", 24, false};
  InterfaceAddress mine{"eth0", mac, "192.168.151.23", 24, false};
  InterfaceAddress leased{"vnet0", mac, "192.168.151.99", 24, false};
  f.hv->lease_addresses = {leased};
  SECTION("agent first, ignoring loopback, IPv6 and other NICs") {
    f.hv->agent_addresses = {lo, v6, other, mine};
    CHECK(d.ip() == "192.168.151.23");
    CHECK(d.engine_url() == "tcp://192.168.151.23:2376");
    CHECK(d.ssh_address() == "192.168.151.23");
    CHECK(d.ssh_port() == 22);
  }
  SECTION("leases when the agent is not connected") {
    f.hv->agent_connected = false;
    CHECK(d.ip() == "192.168.151.99");
  }
  SECTION("leases when the agent has no address for our NIC yet") {
    f.hv->agent_addresses = {lo, v6};
    CHECK(d.ip() == "192.168.151.99");
  }
  SECTION("neither: a clear error") {
    f.hv->lease_addresses.clear();
    f.hv->agent_connected = false;
    CHECK_THROWS_WITH(d.ip(), Catch::Contains("has no IP address yet"));
  }
  SECTION("a stopped machine has no address") {
    d.kill();
    CHECK_THROWS_WITH(d.ip(), Catch::Contains("is not running"));
  }
}

TEST_CASE("libvirt create rejects bad input before making anything") {
  Fixture f;
  auto expect_nothing_made = [&] {
    CHECK(f.hv->domains.empty());
    CHECK(f.hv->volumes.empty());
    CHECK(f.hv->mutations == 0);
  };
  SECTION("a name that is not a hostname") {
    for (const char* bad : {"Web", "-web", "web-", "we_b", "a.b", ""}) {
      auto d = f.driver(f.spec(bad));
      CHECK_THROWS_WITH(d.create(), Catch::Contains("invalid machine name"));
    }
    CHECK_THROWS_AS(f.driver(f.spec(std::string(64, 'a'))).create(), InvalidArgument);
    expect_nothing_made();
  }
  SECTION("a second machine with the same name") {
    f.driver(f.spec()).create();
    auto before = f.hv->mutations;
    auto second = f.driver(f.spec());
    CHECK_THROWS_AS(second.create(), Conflict);
    CHECK_THROWS_WITH(second.pre_create_check(), Catch::Contains("already exists"));
    CHECK(f.hv->mutations == before);
  }
  SECTION("the VM image is missing") {
    fs::remove(f.dir / "image" / "initramfs.img");
    auto d = f.driver(f.spec());
    CHECK_THROWS_AS(d.create(), NotFound);
    CHECK_THROWS_WITH(d.pre_create_check(), Catch::Contains("initramfs.img"));
    auto spec = f.spec();
    spec.image_dir = (f.dir / "nowhere").string();
    CHECK_THROWS_WITH(f.driver(spec).create(), Catch::Contains("does not exist"));
    expect_nothing_made();
  }
  SECTION("too little disk space, in an existing pool or where the pool will go") {
    f.host_free = 1ull << 30;
    CHECK_THROWS_WITH(f.driver(f.spec()).create(), Catch::Contains("not enough disk space"));
    expect_nothing_made();
    f.hv->pools["berth"] = PoolInfo{(f.dir / "pool").string(), true, 0};
    f.hv->available = 4ull << 30;
    CHECK_THROWS_WITH(f.driver(f.spec()).create(), Catch::Contains("5 GB disk"));
  }
  SECTION("a malformed SSH key") {
    auto spec = f.spec();
    spec.ssh_public_key = "not a key";
    CHECK_THROWS_WITH(f.driver(spec).create(), Catch::Contains("invalid SSH public key"));
    expect_nothing_made();
  }
}

TEST_CASE("libvirt hypervisor says how to start libvirtd when it is not running") {
  LibvirtHypervisor hv("qemu:///system?socket=/nonexistent/berth-test/libvirt-sock");
  CHECK_THROWS_AS(hv.domain_state("m1"), Unavailable);
  CHECK_THROWS_WITH(hv.domain_state("m1"),
                    Catch::Contains("libvirtd is not running") && Catch::Contains("libvirtd -d"));
}
