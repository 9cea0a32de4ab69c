// Pure parts of the drivers: machine names and specs, libvirt settings, the XML documents, the
// NoCloud seed ISO, the none driver and the factory.
#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>
#include <map>

#include "common/error.hpp"
#include "drivers/factory.hpp"
#include "drivers/libvirt/libvirt_config.hpp"
#include "drivers/libvirt/seed_iso.hpp"
#include "drivers/libvirt/xml.hpp"
#include "drivers/none/none_driver.hpp"

using namespace berth;
using namespace berth::drivers;
using namespace berth::drivers::libvirt;

namespace {

// The files in an ISO image, read back with libarchive's reader.
std::map<std::string, std::string> iso_files(const std::string& image) {
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_iso9660(a.get());
  REQUIRE(archive_read_open_memory(a.get(), image.data(), image.size()) == ARCHIVE_OK);
  std::map<std::string, std::string> files;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    std::string data(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
    archive_read_data(a.get(), data.data(), data.size());
    files[archive_entry_pathname(entry)] = data;
  }
  return files;
}

}  // namespace

TEST_CASE("machine names must be hostname labels") {
  for (const std::string& good :
       std::vector<std::string>{"a", "web-1", "0node", std::string(63, 'x')}) {
    CHECK_NOTHROW(validate_machine_name(good));
  }
  for (const std::string& bad : std::vector<std::string>{"", "-a", "a-", "A", "a_b", "a.b", "a b",
                                                         "ü", std::string(64, 'x')}) {
    INFO(bad);
    CHECK_THROWS_AS(validate_machine_name(bad), InvalidArgument);
  }
  CHECK_THROWS_WITH(validate_machine_name("Web"), Catch::Contains("'W'"));
}

TEST_CASE("machine spec and libvirt settings survive JSON") {
  MachineSpec spec;
  spec.name = "m";
  spec.cpus = 3;
  spec.memory_mib = 2048;
  spec.disk_gb = 7;
  spec.network = NetworkMode::User;
  spec.image_dir = "/i";
  spec.machine_dir = "/m";
  spec.ssh_public_key = "ssh-ed25519 AAAA";
  MachineSpec back = spec_from_json(spec_to_json(spec));
  CHECK(back.cpus == 3);
  CHECK(back.memory_mib == 2048);
  CHECK(back.disk_gb == 7);
  CHECK(back.network == NetworkMode::User);
  CHECK(back.ssh_public_key == spec.ssh_public_key);
  CHECK_THROWS_AS(parse_network_mode("bridge"), InvalidArgument);

  LibvirtConfig config;
  config.uri = "qemu:///system?socket=/x";
  config.subnet = "10.77.0.0/16";
  config.stop_timeout = std::chrono::seconds(5);
  config.virt_type = "qemu";
  LibvirtConfig c = config_from_json(config_to_json(config));
  CHECK(c.uri == config.uri);
  CHECK(c.subnet == "10.77.0.0/16");
  CHECK(c.stop_timeout.count() == 5);
  CHECK(c.virt_type == "qemu");
  CHECK(c.resolved().pool_path == "/var/lib/berth/pool");
  c.virt_type = "xen";
  CHECK_THROWS_AS(c.resolved(), InvalidArgument);
}

TEST_CASE("NAT subnets parse and give gateway and DHCP range") {
  Subnet s = Subnet::parse("192.168.151.0/24");
  CHECK(s.gateway() == "192.168.151.1");
  CHECK(s.netmask() == "255.255.255.0");
  CHECK(s.dhcp_first() == "192.168.151.2");
  CHECK(s.dhcp_last() == "192.168.151.254");
  CHECK(Subnet::parse("10.20.0.0/16").dhcp_last() == "10.20.255.254");
  CHECK_THROWS_WITH(Subnet::parse("192.168.151.7/24"), Catch::Contains("192.168.151.0/24"));
  CHECK_THROWS_AS(Subnet::parse("192.168.151.0"), InvalidArgument);
  CHECK_THROWS_AS(Subnet::parse("192.168.151.0/8"), InvalidArgument);
  CHECK_THROWS_AS(Subnet::parse("fd00::/64"), InvalidArgument);
}

TEST_CASE("machine MACs are fixed per name and in QEMU's range") {
  CHECK(mac_for_machine("web") == mac_for_machine("web"));
  CHECK(mac_for_machine("web") != mac_for_machine("db"));
  CHECK(mac_for_machine("web").rfind("52:54:00:", 0) == 0);
  CHECK(mac_for_machine("web").size() == 17);
}

TEST_CASE("libvirt XML escapes what it embeds") {
  CHECK(xml_escape("a<b>&'\"") == "a&lt;b&gt;&amp;&apos;&quot;");
  DomainParams p;
  p.name = "m";
  p.console_log = "/home/o'neil & co/console.log";
  p.pool = "berth";
  std::string xml = domain_xml(p);
  CHECK(xml.find("/home/o&apos;neil &amp; co/console.log") != std::string::npos);
  std::string vol = volume_xml("m-data.qcow2", 5368709120ull, "qcow2");
  CHECK(vol.find("<capacity unit='bytes'>5368709120</capacity>") != std::string::npos);
  CHECK(vol.find("<format type='qcow2'/>") != std::string::npos);
  CHECK(pool_xml("berth", "/var/lib/berth/pool").find("<path>/var/lib/berth/pool</path>") !=
        std::string::npos);
}

TEST_CASE("the NoCloud seed is an ISO labelled cidata with meta-data and user-data") {
  std::string key = "  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 me@host\n";
  std::string image = build_seed_iso(nocloud_seed("web", key, "berth-web-1"));
  REQUIRE(image.size() > 32808 + 6);
  CHECK(image.substr(32769, 5) == "CD001");
  // ISO 9660 allows only upper case in the primary descriptor; the Joliet descriptor (sector 17)
  // keeps "cidata" as written, and that is the label blkid and cloud-init report.
  CHECK(image.substr(32808, 6) == "CIDATA");
  CHECK(image[17 * 2048] == 2);
  CHECK(image.substr(17 * 2048 + 40, 12) == std::string("\0c\0i\0d\0a\0t\0a", 12));
  auto files = iso_files(image);
  REQUIRE(files.count("meta-data") == 1);
  REQUIRE(files.count("user-data") == 1);
  CHECK(files["meta-data"] == "instance-id: berth-web-1\nlocal-hostname: web\n");
  CHECK(files["user-data"] ==
        "#cloud-config\nhostname: web\nssh_authorized_keys:\n"
        "  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0 me@host\n");
}

TEST_CASE("engine files ride in the seed as cloud-init write_files under /etc/berth") {
  std::map<std::string, std::string> etc = {{"daemon.json", "{\"tlsverify\": true}\n"},
                                            {"certs/server-key.pem", "KEY"}};
  auto files = iso_files(build_seed_iso(
      nocloud_seed("web", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0", "berth-web-1", etc)));
  CHECK(files["user-data"] ==
        "#cloud-config\nhostname: web\nssh_authorized_keys:\n"
        "  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0\n"
        "write_files:\n"
        "  - path: /etc/berth/certs/server-key.pem\n    permissions: '0600'\n"
        "    encoding: b64\n    content: S0VZ\n"
        "  - path: /etc/berth/daemon.json\n    permissions: '0600'\n"
        "    encoding: b64\n    content: eyJ0bHN2ZXJpZnkiOiB0cnVlfQo=\n");
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("a") == "YQ==");
  CHECK(base64_encode("ab") == "YWI=");
  CHECK(base64_encode("abc") == "YWJj");
  CHECK(base64_encode(std::string("\xff\x00\xfe", 3)) == "/wD+");
}

TEST_CASE("engine file paths stay inside /etc/berth") {
  CHECK_NOTHROW(validate_engine_file_path("daemon.json"));
  CHECK_NOTHROW(validate_engine_file_path("certs/server-key.pem"));
  CHECK_THROWS_AS(validate_engine_file_path(""), InvalidArgument);
  CHECK_THROWS_AS(validate_engine_file_path("/etc/passwd"), InvalidArgument);
  CHECK_THROWS_WITH(validate_engine_file_path("../root/.ssh/authorized_keys"),
                    Catch::Contains("\"..\""));
  CHECK_THROWS_AS(validate_engine_file_path("certs//ca.pem"), InvalidArgument);
  CHECK_THROWS_AS(validate_engine_file_path("certs/"), InvalidArgument);
  CHECK_THROWS_AS(validate_engine_file_path("a b"), InvalidArgument);
  CHECK_THROWS_AS(validate_engine_file_path("x\ny"), InvalidArgument);
}

TEST_CASE("SSH public keys are checked and made safe for YAML") {
  CHECK(normalize_ssh_public_key("ssh-rsa AAAA+/= a b") == "ssh-rsa AAAA+/= a b");
  CHECK(normalize_ssh_public_key("ecdsa-sha2-nistp256 AAAA x: y") == "ecdsa-sha2-nistp256 AAAA");
  CHECK(normalize_ssh_public_key("ssh-ed25519 AAAA #c") == "ssh-ed25519 AAAA #c");
  CHECK(normalize_ssh_public_key("ssh-ed25519 AAAA a #c") == "ssh-ed25519 AAAA");
  CHECK_THROWS_AS(normalize_ssh_public_key(""), InvalidArgument);
  CHECK_THROWS_AS(normalize_ssh_public_key("ssh-ed25519"), InvalidArgument);
  CHECK_THROWS_AS(normalize_ssh_public_key("ssh-ed25519 AAAA\nssh-rsa BBBB"), InvalidArgument);
  CHECK_THROWS_AS(normalize_ssh_public_key("-----BEGIN OPENSSH PRIVATE KEY-----"), InvalidArgument);
}

TEST_CASE("the none driver only records an engine URL") {
  NoneDriver d("ext", "tcp://192.168.1.10:2376");
  CHECK(d.state() == MachineState::Running);
  CHECK(d.ip() == "192.168.1.10");
  CHECK(d.engine_url() == "tcp://192.168.1.10:2376");
  CHECK_THROWS_WITH(d.stop(), Catch::Contains("cannot stop"));
  CHECK_THROWS_AS(d.ssh_port(), Unavailable);
  CHECK(NoneDriver("v6", "tcp://[fd00::1]:2376").ip() == "fd00::1");
  CHECK_THROWS_AS(NoneDriver("x", "http://h:1"), InvalidArgument);
  CHECK_THROWS_AS(NoneDriver("x", "tcp://h"), InvalidArgument);
  CHECK_THROWS_AS(NoneDriver("x", "tcp://h:99999"), InvalidArgument);
  auto loaded = load_driver("none", d.to_json());
  CHECK(loaded->engine_url() == "tcp://192.168.1.10:2376");
  CHECK(loaded->machine_name() == "ext");
}

TEST_CASE("the factory rebuilds libvirt drivers and rejects unknown ones") {
  Json state = {{"spec", spec_to_json(MachineSpec{.name = "m", .network = NetworkMode::User})},
                {"config", config_to_json(LibvirtConfig{})},
                {"ssh_port", 41000},
                {"engine_port", 41001}};
  auto d = load_driver("libvirt", state);
  CHECK(d->driver_name() == "libvirt");
  CHECK(d->engine_url() == "tcp://127.0.0.1:41001");
  CHECK_THROWS_WITH(load_driver("virtualbox", state), Catch::Contains("unknown machine driver"));
}
