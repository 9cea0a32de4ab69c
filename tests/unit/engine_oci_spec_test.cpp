// make_oci_spec / make_exec_process against what dockerd puts in config.json for the same
// container (compared with a real dockerd's bundle for busybox).
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "engine/containers/oci_spec.hpp"

using namespace berth;
using namespace berth::engine;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A container's /etc/passwd and /etc/group (busybox's, plus a member list for group tests).
class UserFiles {
 public:
  UserFiles() {
    std::string pattern = (fs::temp_directory_path() / "berth-oci-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    std::ofstream(dir_ / "passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                      "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                                      "www-data:x:33:33:www-data:/var/www:/bin/false\n"
                                      "nobody:x:65534:65534:nobody:/home:/bin/false\n";
    std::ofstream(dir_ / "group") << "root:x:0:\n"
                                     "daemon:x:1:\n"
                                     "tty:x:5:\n"
                                     "wheel:x:10:root\n"
                                     "www-data:x:33:\n"
                                     "staff:x:50:daemon,www-data\n"
                                     "nogroup:x:65534:\n";
  }
  ~UserFiles() { fs::remove_all(dir_); }
  std::string passwd() const { return (dir_ / "passwd").string(); }
  std::string group() const { return (dir_ / "group").string(); }

 private:
  fs::path dir_;
};

OciSpecInput base_input(const UserFiles& files) {
  OciSpecInput in;
  in.config = {{"Cmd", {"echo", "hello"}}, {"Env", {"FOO=bar"}}};
  in.host_config = json::object();
  in.rootfs = "/var/lib/berth/rootfs/abc";
  in.hostname = "abc123";
  in.cgroups_path = "/berth/abc";
  in.passwd_path = files.passwd();
  in.group_path = files.group();
  return in;
}

const json* find_mount(const json& spec, const std::string& destination) {
  for (const auto& m : spec["mounts"]) {
    if (m["destination"] == destination) return &m;
  }
  return nullptr;
}

bool has_namespace(const json& spec, const std::string& type) {
  for (const auto& ns : spec["linux"]["namespaces"]) {
    if (ns["type"] == type) return true;
  }
  return false;
}

bool contains(const json& array, const std::string& value) {
  for (const auto& item : array) {
    if (item == value) return true;
  }
  return false;
}

std::vector<std::string> caps_of(const json& spec) {
  return spec["process"]["capabilities"]["bounding"].get<std::vector<std::string>>();
}

}  // namespace

TEST_CASE("OCI spec: dockerd's defaults for a plain container", "[runtime]") {
  UserFiles files;
  json spec = make_oci_spec(base_input(files));

  CHECK(spec["ociVersion"] == "1.0.2");
  const json& p = spec["process"];
  CHECK(p["args"] == json({"echo", "hello"}));
  CHECK(p["env"] == json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "HOSTNAME=abc123", "FOO=bar"}));
  CHECK(p["cwd"] == "/");
  CHECK(p["terminal"] == false);
  CHECK(p["user"] == json({{"uid", 0}, {"gid", 0}, {"additionalGids", {0, 10}}}));
  CHECK(p["noNewPrivileges"] == false);
  CHECK(p["oomScoreAdj"] == 0);
  // The built-in seccomp profile, filtered for the container's capabilities (oci_seccomp tests).
  CHECK(spec["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO");
  // 1048576, or the engine's own hard limit where it may not raise it (no CAP_SYS_RESOURCE).
  REQUIRE(p["rlimits"].size() == 1);
  CHECK(p["rlimits"][0]["type"] == "RLIMIT_NOFILE");
  CHECK(p["rlimits"][0]["soft"] == p["rlimits"][0]["hard"]);
  rlimit own{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &own) == 0);
  const auto nofile = p["rlimits"][0]["hard"].get<uint64_t>();
  CHECK((nofile == 1048576 || (nofile == own.rlim_max && own.rlim_max < 1048576)));
  const std::vector<std::string> docker_caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  CHECK(caps_of(spec) == docker_caps);
  CHECK(p["capabilities"]["effective"] == p["capabilities"]["bounding"]);
  CHECK(p["capabilities"]["permitted"] == p["capabilities"]["bounding"]);
  CHECK_FALSE(p.contains("consoleSize"));

  CHECK(spec["root"] == json({{"path", "/var/lib/berth/rootfs/abc"}, {"readonly", false}}));
  CHECK(spec["hostname"] == "abc123");

  REQUIRE(find_mount(spec, "/proc") != nullptr);
  CHECK((*find_mount(spec, "/proc"))["options"] == json({"nosuid", "noexec", "nodev"}));
  CHECK((*find_mount(spec, "/dev"))["options"] ==
        json({"nosuid", "strictatime", "mode=755", "size=65536k"}));
  CHECK((*find_mount(spec, "/dev/pts"))["type"] == "devpts");
  CHECK((*find_mount(spec, "/sys"))["options"] == json({"nosuid", "noexec", "nodev", "ro"}));
  CHECK((*find_mount(spec, "/sys/fs/cgroup"))["options"] ==
        json({"ro", "nosuid", "noexec", "nodev"}));
  CHECK((*find_mount(spec, "/dev/mqueue"))["type"] == "mqueue");
  CHECK((*find_mount(spec, "/dev/shm"))["options"] ==
        json({"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}));
  CHECK(find_mount(spec, "/etc/hosts") == nullptr);  // no file given, no mount

  const json& linux = spec["linux"];
  for (const char* ns : {"mount", "network", "uts", "pid", "ipc"}) {
    INFO(ns);
    CHECK(has_namespace(spec, ns));
  }
  CHECK(linux["cgroupsPath"] == "/berth/abc");
  CHECK(contains(linux["maskedPaths"], "/proc/kcore"));
  CHECK(contains(linux["maskedPaths"], "/sys/firmware"));
  CHECK(linux["readonlyPaths"] ==
        json({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
  CHECK(linux["resources"]["devices"][0] == json({{"allow", false}, {"access", "rwm"}}));
  CHECK(linux["resources"]["devices"].size() == 8);
  CHECK_FALSE(linux["resources"].contains("memory"));
  CHECK(linux["sysctl"]["net.ipv4.ip_unprivileged_port_start"] == "0");
}

TEST_CASE("OCI spec: command line and environment", "[runtime]") {
  UserFiles files;
  OciSpecInput in = base_input(files);

  SECTION("Entrypoint then Cmd") {
    in.config = {{"Entrypoint", {"/bin/sh", "-c"}}, {"Cmd", {"echo hi"}}};
    CHECK(make_oci_spec(in)["process"]["args"] == json({"/bin/sh", "-c", "echo hi"}));
  }
  SECTION("a string Cmd is one argument") {
    in.config = {{"Cmd", "top"}};
    CHECK(make_oci_spec(in)["process"]["args"] == json({"top"}));
  }
  SECTION("no command at all is refused") {
    in.config = json::object();
    CHECK_THROWS_AS(make_oci_spec(in), InvalidArgument);
  }
  SECTION("TTY adds TERM; the container's Env replaces in place and a bare name removes") {
    in.config["Tty"] = true;
    in.config["Env"] = {"PATH=/custom", "TERM", "A=1"};
    json p = make_oci_spec(in)["process"];
    CHECK(p["terminal"] == true);
    CHECK(p["env"] == json({"PATH=/custom", "HOSTNAME=abc123", "A=1"}));
  }
  SECTION("console size from HostConfig for a TTY") {
    in.config["Tty"] = true;
    in.host_config["ConsoleSize"] = {30, 100};
    CHECK(make_oci_spec(in)["process"]["consoleSize"] == json({{"height", 30}, {"width", 100}}));
  }
  SECTION("working dir must be absolute") {
    in.config["WorkingDir"] = "/srv/app";
    CHECK(make_oci_spec(in)["process"]["cwd"] == "/srv/app");
    in.config["WorkingDir"] = "relative";
    CHECK_THROWS_WITH(make_oci_spec(in), Catch::Contains("needs to be an absolute path"));
  }
  SECTION("--init runs the init binary in front of the command") {
    in.host_config["Init"] = true;
    CHECK_THROWS_WITH(make_oci_spec(in), "--init is not available: no init binary installed");
    in.init_path = "/usr/libexec/berth/berth-init";
    json spec = make_oci_spec(in);
    CHECK(spec["process"]["args"] == json({"/sbin/docker-init", "--", "echo", "hello"}));
    const json* init = find_mount(spec, "/sbin/docker-init");
    REQUIRE(init != nullptr);
    CHECK((*init)["source"] == "/usr/libexec/berth/berth-init");
    CHECK((*init)["options"] == json({"bind", "ro"}));
  }
}

TEST_CASE("OCI spec: users resolve through the container's passwd and group", "[runtime]") {
  UserFiles files;
  OciSpecInput in = base_input(files);
  auto user_for = [&](const std::string& user) {
    in.config["User"] = user;
    return make_oci_spec(in)["process"]["user"];
  };
  CHECK(user_for("daemon") == json({{"uid", 1}, {"gid", 1}, {"additionalGids", {1, 50}}}));
  CHECK(user_for("www-data:tty") == json({{"uid", 33}, {"gid", 5}, {"additionalGids", {5}}}));
  CHECK(user_for("1000") == json({{"uid", 1000}, {"gid", 0}, {"additionalGids", {0}}}));
  CHECK(user_for("1000:1000") == json({{"uid", 1000}, {"gid", 1000}, {"additionalGids", {1000}}}));
  CHECK(user_for("65534") == json({{"uid", 65534}, {"gid", 65534}, {"additionalGids", {65534}}}));
  CHECK_THROWS_WITH(user_for("nosuch"),
                    "unable to find user nosuch: no matching entries in passwd file");
  CHECK_THROWS_AS(user_for("nosuch"), InvalidArgument);
  CHECK_THROWS_WITH(user_for("root:nosuch"),
                    "unable to find group nosuch: no matching entries in group file");
  in.host_config["GroupAdd"] = {"staff", "777"};
  CHECK(user_for("root") == json({{"uid", 0}, {"gid", 0}, {"additionalGids", {0, 10, 50, 777}}}));
}

TEST_CASE("OCI spec: capabilities follow CapAdd, CapDrop and Privileged", "[runtime]") {
  UserFiles files;
  OciSpecInput in = base_input(files);

  SECTION("add and drop, in any spelling") {
    in.host_config["CapAdd"] = {"net_admin", "CAP_SYS_PTRACE"};
    in.host_config["CapDrop"] = {"MKNOD"};
    auto caps = caps_of(make_oci_spec(in));
    CHECK(caps.size() == 15);
    CHECK(caps[caps.size() - 2] == "CAP_NET_ADMIN");
    CHECK(caps.back() == "CAP_SYS_PTRACE");
    CHECK(std::find(caps.begin(), caps.end(), "CAP_MKNOD") == caps.end());
  }
  SECTION("ALL") {
    in.host_config["CapAdd"] = {"ALL"};
    in.host_config["CapDrop"] = {"NET_RAW"};
    auto caps = caps_of(make_oci_spec(in));
    CHECK(std::find(caps.begin(), caps.end(), "CAP_SYS_ADMIN") != caps.end());
    CHECK(std::find(caps.begin(), caps.end(), "CAP_NET_RAW") == caps.end());
    in.host_config["CapAdd"] = {"chown"};
    in.host_config["CapDrop"] = {"all"};
    CHECK(caps_of(make_oci_spec(in)) == std::vector<std::string>{"CAP_CHOWN"});
  }
  SECTION("security options: no seccomp filter when unconfined, no-new-privileges") {
    in.host_config["SecurityOpt"] = {"seccomp=unconfined", "no-new-privileges"};
    json spec = make_oci_spec(in);
    CHECK_FALSE(spec["linux"].contains("seccomp"));
    CHECK(spec["process"]["noNewPrivileges"] == true);
    in.seccomp_default = "unconfined";
    in.host_config["SecurityOpt"] = json::array();
    CHECK_FALSE(make_oci_spec(in)["linux"].contains("seccomp"));
  }
  SECTION("unknown names are refused") {
    in.host_config["CapAdd"] = {"FOO"};
    CHECK_THROWS_WITH(make_oci_spec(in), "invalid CapAdd: unknown capability: \"CAP_FOO\"");
    in.host_config["CapAdd"] = json::array();
    in.host_config["CapDrop"] = {"bar"};
    CHECK_THROWS_WITH(make_oci_spec(in), "invalid CapDrop: unknown capability: \"CAP_BAR\"");
  }
  SECTION("privileged: every capability, no masked paths, writable /sys, all devices") {
    in.host_config["Privileged"] = true;
    json spec = make_oci_spec(in);
    auto caps = caps_of(spec);
    CHECK(std::find(caps.begin(), caps.end(), "CAP_SYS_ADMIN") != caps.end());
    CHECK(caps.size() > 30);
    CHECK(spec["linux"]["maskedPaths"].empty());
    CHECK(spec["linux"]["readonlyPaths"].empty());
    CHECK_FALSE(spec["linux"].contains("seccomp"));
    CHECK_FALSE(contains((*find_mount(spec, "/sys"))["options"], "ro"));
    CHECK(spec["linux"]["resources"]["devices"] ==
          json::array({{{"allow", true}, {"access", "rwm"}}}));
    bool has_null = false;
    for (const auto& d : spec["linux"]["devices"]) has_null |= d["path"] == "/dev/null";
    CHECK(has_null);
  }
}

TEST_CASE("OCI spec: root, namespaces and resources", "[runtime]") {
  UserFiles files;
  OciSpecInput in = base_input(files);

  SECTION("read-only rootfs") {
    in.host_config["ReadonlyRootfs"] = true;
    CHECK(make_oci_spec(in)["root"]["readonly"] == true);
  }
  SECTION("host network: no network namespace and no namespaced sysctls") {
    in.network_namespace = "host";
    json spec = make_oci_spec(in);
    CHECK_FALSE(has_namespace(spec, "network"));
    CHECK_FALSE(spec["linux"].contains("sysctl"));
  }
  SECTION("prepared network namespace by path") {
    in.network_namespace = "/run/berth/netns/abc";
    bool found = false;
    const json spec = make_oci_spec(in);
    for (const auto& ns : spec["linux"]["namespaces"]) {
      if (ns["type"] == "network") found = ns["path"] == "/run/berth/netns/abc";
    }
    CHECK(found);
  }
  SECTION("host pid/ipc/uts") {
    in.host_config["PidMode"] = "host";
    in.host_config["IpcMode"] = "host";
    in.host_config["UTSMode"] = "host";
    json spec = make_oci_spec(in);
    CHECK_FALSE(has_namespace(spec, "pid"));
    CHECK_FALSE(has_namespace(spec, "ipc"));
    CHECK_FALSE(has_namespace(spec, "uts"));
    CHECK_FALSE(spec.contains("hostname"));
  }
  SECTION("limits as dockerd writes them") {
    in.host_config["Memory"] = 64 * 1024 * 1024;
    in.host_config["NanoCpus"] = 500000000;
    in.host_config["CpuShares"] = 512;
    in.host_config["PidsLimit"] = 50;
    in.host_config["OomScoreAdj"] = 100;
    in.host_config["Ulimits"] = {{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 2048}}};
    json spec = make_oci_spec(in);
    const json& res = spec["linux"]["resources"];
    CHECK(res["memory"] == json({{"limit", 67108864}, {"swap", 134217728}}));
    CHECK(res["cpu"] == json({{"period", 100000}, {"quota", 50000}, {"shares", 512}}));
    CHECK(res["pids"] == json({{"limit", 50}}));
    CHECK(spec["process"]["oomScoreAdj"] == 100);
    CHECK(spec["process"]["rlimits"] ==
          json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 2048}, {"soft", 1024}}}));
    in.host_config["MemorySwap"] = -1;
    CHECK(make_oci_spec(in)["linux"]["resources"]["memory"]["swap"] == -1);
    in.host_config["CpuQuota"] = 20000;
    CHECK_THROWS_WITH(make_oci_spec(in), Catch::Contains("Conflicting options"));
  }
  SECTION("shm size") {
    in.host_config["ShmSize"] = 1048576;
    CHECK(contains((*find_mount(make_oci_spec(in), "/dev/shm"))["options"], "size=1048576"));
  }
  SECTION("devices and cgroup rules") {
    in.host_config["Devices"] = {{{"PathOnHost", "/dev/null"},
                                  {"PathInContainer", "/dev/mynull"},
                                  {"CgroupPermissions", "rw"}}};
    in.host_config["DeviceCgroupRules"] = {"c 42:* rmw"};
    json spec = make_oci_spec(in);
    REQUIRE(spec["linux"]["devices"].size() == 1);
    CHECK(spec["linux"]["devices"][0]["path"] == "/dev/mynull");
    CHECK(spec["linux"]["devices"][0]["major"] == 1);
    CHECK(spec["linux"]["devices"][0]["minor"] == 3);
    const json& rules = spec["linux"]["resources"]["devices"];
    CHECK(rules[rules.size() - 2] ==
          json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}));
    CHECK(rules.back() == json({{"allow", true}, {"type", "c"}, {"major", 42}, {"access", "rmw"}}));
    in.host_config["Devices"] = {{{"PathOnHost", "/etc/passwd"}}};
    CHECK_THROWS_AS(make_oci_spec(in), InvalidArgument);
  }
}

TEST_CASE("OCI spec: binds, tmpfs and the engine's files", "[runtime]") {
  UserFiles files;
  OciSpecInput in = base_input(files);
  in.hostname_file = "/var/lib/berth/c/hostname";
  in.hosts_file = "/var/lib/berth/c/hosts";
  in.resolv_conf_file = "/var/lib/berth/c/resolv.conf";

  SECTION("bind mounts with modes") {
    in.host_config["Binds"] = {"/srv/data:/data:ro", "/tmp:/scratch/tmp", "/a:/b:rw,rslave"};
    json spec = make_oci_spec(in);
    CHECK(*find_mount(spec, "/data") == json({{"destination", "/data"},
                                              {"type", "bind"},
                                              {"source", "/srv/data"},
                                              {"options", {"rbind", "ro", "rprivate"}}}));
    CHECK((*find_mount(spec, "/scratch/tmp"))["options"] == json({"rbind", "rprivate"}));
    CHECK((*find_mount(spec, "/b"))["options"] == json({"rbind", "rslave"}));
    // Parents first: /data and /b (depth 1) come before /scratch/tmp and /etc/hosts (depth 2).
    std::vector<std::string> order;
    for (const auto& m : spec["mounts"]) order.push_back(m["destination"]);
    auto pos = [&](const std::string& d) { return std::find(order.begin(), order.end(), d); };
    CHECK(pos("/data") < pos("/scratch/tmp"));
    CHECK(pos("/b") < pos("/etc/resolv.conf"));
  }
  SECTION("engine files are bind-mounted unless the user mounts over them") {
    json spec = make_oci_spec(in);
    CHECK(*find_mount(spec, "/etc/hosts") == json({{"destination", "/etc/hosts"},
                                                   {"type", "bind"},
                                                   {"source", "/var/lib/berth/c/hosts"},
                                                   {"options", {"rbind", "rprivate"}}}));
    CHECK(find_mount(spec, "/etc/hostname") != nullptr);
    CHECK(find_mount(spec, "/etc/resolv.conf") != nullptr);
    in.host_config["Binds"] = {"/my/hosts:/etc/hosts:ro"};
    CHECK((*find_mount(make_oci_spec(in), "/etc/hosts"))["source"] == "/my/hosts");
  }
  SECTION("a user mount replaces the default at the same place") {
    in.host_config["Binds"] = {"/dev/shm:/dev/shm"};
    json spec = make_oci_spec(in);
    int count = 0;
    for (const auto& m : spec["mounts"]) count += m["destination"] == "/dev/shm";
    CHECK(count == 1);
    CHECK((*find_mount(spec, "/dev/shm"))["type"] == "bind");
  }
  SECTION("bad binds") {
    in.host_config["Binds"] = {"myvolume:/data"};
    CHECK_THROWS_WITH(make_oci_spec(in), "named volumes are not supported yet: myvolume:/data");
    in.host_config["Binds"] = {"/src:relative"};
    CHECK_THROWS_WITH(make_oci_spec(in), Catch::Contains("mount path must be absolute"));
    in.host_config["Binds"] = {"/src:/dst:bogus"};
    CHECK_THROWS_WITH(make_oci_spec(in), "invalid mode: bogus");
    in.host_config["Binds"] = {"/a:/dst", "/b:/dst"};
    CHECK_THROWS_WITH(make_oci_spec(in), "Duplicate mount point: /dst");
    in.host_config["Binds"] = {"/a:/"};
    CHECK_THROWS_AS(make_oci_spec(in), InvalidArgument);
  }
  SECTION("tmpfs") {
    in.host_config["Tmpfs"] = {{"/scratch", "size=64m"}, {"/run", "exec,mode=1777"}};
    json spec = make_oci_spec(in);
    CHECK(*find_mount(spec, "/scratch") ==
          json({{"destination", "/scratch"},
                {"type", "tmpfs"},
                {"source", "tmpfs"},
                {"options", {"noexec", "nosuid", "nodev", "rprivate", "size=64m"}}}));
    CHECK((*find_mount(spec, "/run"))["options"] ==
          json({"nosuid", "nodev", "rprivate", "exec", "mode=1777"}));
  }
}

TEST_CASE("OCI exec process: exec settings over the container's", "[runtime]") {
  UserFiles files;
  OciSpecInput in = base_input(files);
  in.config = {{"Cmd", {"sleep", "100"}},
               {"Env", {"FOO=bar", "A=container"}},
               {"User", "daemon"},
               {"WorkingDir", "/srv"}};

  json p = make_exec_process({{"Cmd", {"sh", "-c", "id"}}, {"Env", {"A=exec"}}, {"Tty", true}}, in);
  CHECK(p["args"] == json({"sh", "-c", "id"}));
  CHECK(p["env"] == json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "HOSTNAME=abc123", "TERM=xterm", "FOO=bar", "A=exec"}));
  CHECK(p["terminal"] == true);
  CHECK(p["cwd"] == "/srv");
  CHECK(p["user"]["uid"] == 1);
  CHECK(caps_of({{"process", p}}).size() == 14);

  p = make_exec_process(
      {{"Cmd", {"id"}}, {"User", "www-data"}, {"WorkingDir", "/tmp"}, {"Privileged", true}}, in);
  CHECK(p["user"]["uid"] == 33);
  CHECK(p["cwd"] == "/tmp");
  CHECK(p["terminal"] == false);
  CHECK(caps_of({{"process", p}}).size() > 30);

  CHECK_THROWS_AS(make_exec_process({{"Cmd", json::array()}}, in), InvalidArgument);
  CHECK_THROWS_WITH(make_exec_process({{"Cmd", {"id"}}, {"User", "ghost"}}, in),
                    "unable to find user ghost: no matching entries in passwd file");
}
